// Q4_K weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea). Per group of 16 rows and 256-element block, 2,368 bytes (a multiple of 64):
//   qs:   (8 sub-blocks, 4 t, 16 rows, 4 e) nibble pairs: the low nibble is element 4t+e of
//         the sub-block, the high nibble element 16+4t+e (the nibbles stay 4-bit in memory);
//   sc:   (8, 16) 6-bit scales;   m: (8, 16) 6-bit minimums;
//   d, dmin: (16) f16 each.
// Against Q8_256 activations (d, 16-element sums, bytes): per sub-block, eight vpdpbusd give
// Σ q·x for 16 rows, scaled by d·sc·dx into the row's sum; the minimums' term
// dmin·dx·Σ m·Σx comes from eight vpdpwssd of (m, m) pairs against the activation's
// 16-element sums. Each output is the same whatever the number of activation rows.
#include "quants.h"

// Rows [0, n) of `w` (n <= 16), nb blocks each, into one group at dst (nb blocks).
void tern_pack_group_q4_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q4_K_GROUP_BLOCK);
    for (int b = 0; b < nb; b++) {
        uint8_t *qs = dst + (size_t)b * Q4_K_GROUP_BLOCK, *sc = qs + 2048, *m = sc + 128;
        uint16_t *d = (uint16_t *)(m + 128);
        for (int i = 0; i < n; i++) {
            const blk_q4_K *blk = (const blk_q4_K *)(w + (size_t)i * row_bytes) + b;
            d[i] = blk->d;
            d[16 + i] = blk->dmin;
            for (int s = 0; s < 8; s++) {
                kquant_scale_min(s, blk->scales, &sc[16 * s + i], &m[16 * s + i]);
                const uint8_t *q = blk->qs + 32 * (s / 2);
                int shift = 4 * (s % 2);
                for (int t = 0; t < 4; t++)
                    for (int e = 0; e < 4; e++) {
                        uint8_t lo = (q[4 * t + e] >> shift) & 0xF, hi = (q[16 + 4 * t + e] >> shift) & 0xF;
                        qs[256 * s + 64 * t + 4 * i + e] = (uint8_t)(lo | hi << 4);
                    }
            }
        }
    }
}

void tern_unpack_q4_K(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++) {
        const uint8_t *qs = p + (size_t)b * Q4_K_GROUP_BLOCK, *sc = qs + 2048, *m = sc + 128;
        const uint16_t *d = (const uint16_t *)(m + 128);
        blk_q4_K *blk = (blk_q4_K *)row + b;
        blk->d = d[i];
        blk->dmin = d[16 + i];
        // The 12-byte encoding kquant_scale_min reads: 6 bits of sub-blocks 0..3 in bytes 0..7,
        // sub-blocks 4..7 as nibbles in bytes 8..11 plus the top two bits of bytes 0..7.
        for (int j = 0; j < 4; j++) {
            uint8_t s0 = sc[16 * j + i], s1 = sc[16 * (j + 4) + i], m0 = m[16 * j + i], m1 = m[16 * (j + 4) + i];
            blk->scales[j] = (uint8_t)(s0 | (s1 >> 4) << 6);
            blk->scales[j + 4] = (uint8_t)(m0 | (m1 >> 4) << 6);
            blk->scales[j + 8] = (uint8_t)((s1 & 0xF) | (m1 & 0xF) << 4);
        }
        // Sub-blocks s (the file's low nibbles) and s + 1 (its high nibbles) share 32 bytes.
        for (int s = 0; s < 8; s += 2) {
            uint8_t *q = blk->qs + 16 * s;
            for (int t = 0; t < 4; t++)
                for (int e = 0; e < 4; e++) {
                    uint8_t a = qs[256 * s + 64 * t + 4 * i + e], c = qs[256 * (s + 1) + 64 * t + 4 * i + e];
                    q[4 * t + e] = (uint8_t)((a & 0xF) | (c & 0xF) << 4);
                    q[16 + 4 * t + e] = (uint8_t)((a >> 4) | (c & 0xF0));
                }
        }
    }
}

#if defined(__x86_64__)
AVX512 static inline __attribute__((always_inline)) void q4_K_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += Q4_K_GROUP_BLOCK) {
        const uint8_t *sc = p + 2048, *mn = sc + 128;
        __m512 dv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(mn + 128)));
        __m512 dminv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(mn + 160)));
        for (int s = 0; s < 8; s++) {
            __m512i w[8];
            split_nibbles(p + 256 * s, w);
            // Five of the block's 37 lines ahead per sub-block (scales and minimums included).
            for (int l = 5 * s; l < 5 * s + 5; l++) _mm_prefetch((const char *)p + PREFETCH + 64 * l, _MM_HINT_T0);
            __m512 ds = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(sc + 16 * s)))), dv);
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
            for (int r = 0; r < n; r++) {
                const act_q8_256 *a = x[r] + b;
                __m512i sum = dpbusd_rows(_mm512_setzero_si512(), w, a->qs + 32 * s, 8);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ds, _mm512_set1_ps(a->d)), acc[r]);
            }
        }
        // Minimums: lanes hold (m, m) of each sub-block as two int16, against the two 16-element
        // sums of that sub-block's activations.
        __m512i mm[8];
        for (int s = 0; s < 8; s++) {
            __m512i v = _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(mn + 16 * s)));
            mm[s] = _mm512_or_si512(v, _mm512_slli_epi32(v, 16));
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < n; r++) {
            const act_q8_256 *a = x[r] + b;
            __m512i sum = _mm512_setzero_si512();
            for (int s = 0; s < 8; s++) {
                int32_t two;
                memcpy(&two, a->bsums + 2 * s, 4);
                sum = _mm512_dpwssd_epi32(sum, mm[s], _mm512_set1_epi32(two));
            }
            acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dminv, _mm512_set1_ps(a->d)), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(q4_K, q4_K_group_rows, act_q8_256)
#endif
