// Q4_0 weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea), as compact as the file's blocks (4.5 bits a weight). A block of 16 rows is 288 bytes,
// so blocks go in pairs of 576 (nine lines, every block's nibbles 64-byte aligned):
//   qs: (2 blocks, 4 t, 16 rows, 4 e) the row's bytes 4t..4t+3 as stored: low nibbles are
//       elements 4t+e, high nibbles elements 16+4t+e;
//   d:  (2 blocks, 16) f16. An odd last block leaves its pair's second half zero.
// Against Q8_32X activations: eight vpdpbusd of the unsigned nibbles q starting from
// c / 16 = -8·Σx give Σ (q - 8)·x exactly, scaled by dw·dx. Each output is the same whatever
// the number of activation rows.
#include "quants.h"

enum { Q4_0_D = 512 };  // offset of a pair's scales

size_t tern_q4_0_group_bytes(int nb) { return (size_t)(nb + 1) / 2 * Q4_0_GROUP_PAIR; }

void tern_pack_group_q4_0(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, tern_q4_0_group_bytes(nb));
    for (int b = 0; b < nb; b++) {
        uint8_t *pair = dst + (size_t)(b / 2) * Q4_0_GROUP_PAIR, *qs = pair + 256 * (b % 2);
        uint16_t *d = (uint16_t *)(pair + Q4_0_D) + 16 * (b % 2);
        for (int i = 0; i < n; i++) {
            const blk_q4_0 *blk = (const blk_q4_0 *)(w + (size_t)i * row_bytes) + b;
            d[i] = blk->d;
            for (int t = 0; t < 4; t++) memcpy(qs + 64 * t + 4 * i, blk->qs + 4 * t, 4);
        }
    }
}

void tern_unpack_q4_0(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++) {
        const uint8_t *pair = p + (size_t)(b / 2) * Q4_0_GROUP_PAIR, *qs = pair + 256 * (b % 2);
        blk_q4_0 *blk = (blk_q4_0 *)row + b;
        blk->d = ((const uint16_t *)(pair + Q4_0_D))[16 * (b % 2) + i];
        for (int t = 0; t < 4; t++) memcpy(blk->qs + 4 * t, qs + 64 * t + 4 * i, 4);
    }
}

#if defined(__x86_64__)
AVX512 static inline __attribute__((always_inline)) void q4_0_group_rows(const uint8_t *p, int nb, const act_q8_32x *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *pair = p + (size_t)(b / 2) * Q4_0_GROUP_PAIR;
        __m512i w[8];
        split_nibbles(pair + 256 * (b % 2), w);
        // The pair's nine lines ahead: five with its first block, four with its second.
        for (int l = b % 2 ? 5 : 0; l < (b % 2 ? 9 : 5); l++) _mm_prefetch((const char *)pair + PREFETCH + 64 * l, _MM_HINT_T0);
        __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(pair + Q4_0_D + 32 * (b % 2))));
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
        for (int r = 0; r < n; r++) {
            const act_q8_32x *a = x[r] + b;
            __m512i sum = dpbusd_rows(_mm512_set1_epi32(a->c / 16), w, a->qs, 8);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dw, _mm512_set1_ps(a->d)), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(q4_0, q4_0_group_rows, act_q8_32x)
#endif
