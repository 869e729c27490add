// Q4_1 weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea). Per group of 16 rows and 32-element block, 320 bytes (a multiple of 64):
//   qs: (4 t, 16 rows, 4 e) the row's bytes 4t..4t+3 as stored: low nibbles are elements
//       4t+e, high nibbles elements 16+4t+e (the nibbles stay 4-bit in memory);
//   d, m: (16) f16 each.
// Against Q8_32 activations (d, s = d·Σx rounded to half, bytes): eight vpdpbusd give Σ q·x
// for 16 rows, scaled by dw·dx, plus mw·s for the blocks' offsets — the arithmetic of
// llama.cpp's Q4_1 kernels. Each output is the same whatever the number of activation rows.
#include "quants.h"

void tern_pack_group_q4_1(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q4_1_GROUP_BLOCK);
    for (int b = 0; b < nb; b++) {
        uint8_t *qs = dst + (size_t)b * Q4_1_GROUP_BLOCK;
        uint16_t *d = (uint16_t *)(qs + 256);
        for (int i = 0; i < n; i++) {
            const blk_q4_1 *blk = (const blk_q4_1 *)(w + (size_t)i * row_bytes) + b;
            d[i] = blk->d;
            d[16 + i] = blk->m;
            for (int t = 0; t < 4; t++) memcpy(qs + 64 * t + 4 * i, blk->qs + 4 * t, 4);
        }
    }
}

void tern_unpack_q4_1(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++) {
        const uint8_t *qs = p + (size_t)b * Q4_1_GROUP_BLOCK;
        const uint16_t *d = (const uint16_t *)(qs + 256);
        blk_q4_1 *blk = (blk_q4_1 *)row + b;
        blk->d = d[i];
        blk->m = d[16 + i];
        for (int t = 0; t < 4; t++) memcpy(blk->qs + 4 * t, qs + 64 * t + 4 * i, 4);
    }
}

#if defined(__x86_64__)
AVX512 static inline __attribute__((always_inline)) void q4_1_group_rows(const uint8_t *p, int nb, const act_q8_32 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += Q4_1_GROUP_BLOCK) {
        __m512i w[8];
        split_nibbles(p, w);
        for (int c = 0; c < Q4_1_GROUP_BLOCK; c += 64) _mm_prefetch((const char *)p + PREFETCH + c, _MM_HINT_T0);
        __m512 dw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p + 256)));
        __m512 mw = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p + 288)));
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
        for (int r = 0; r < n; r++) {
            const act_q8_32 *a = x[r] + b;
            __m512i sum = dpbusd_rows(_mm512_setzero_si512(), w, a->qs, 8);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dw, _mm512_set1_ps(a->d)), acc[r]);
            acc[r] = _mm512_fmadd_ps(mw, _mm512_set1_ps(a->s), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(q4_1, q4_1_group_rows, act_q8_32)
#endif
