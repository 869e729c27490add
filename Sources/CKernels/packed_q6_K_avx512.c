// Q6_K weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea). Per group of 16 rows and 256-element block, 4,416 bytes (a multiple of 64):
//   qs: (16 sub-blocks, 4 t, 16 rows, 4 e) the 6-bit values q (0..63) of elements
//       16·sub + 4t + e, one byte each (8 bits instead of 6.6: these are small matrices in
//       the models that mix them with Q4_K);
//   sc: (16, 16) int8 scales;   d: (16) f16, then 32 bytes of padding.
// Against Q8_256 activations: per 16-element sub-block, four vpdpbusd starting from
// -32·Σx (so the sum is Σ (q - 32)·x exactly), scaled by d·sc·dx into the row's sum.
#include "quants.h"

void tern_pack_group_q6_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q6_K_GROUP_BLOCK);
    for (int b = 0; b < nb; b++) {
        uint8_t *qs = dst + (size_t)b * Q6_K_GROUP_BLOCK;
        int8_t *sc = (int8_t *)(qs + 4096);
        uint16_t *d = (uint16_t *)(qs + 4096 + 256);
        for (int i = 0; i < n; i++) {
            const blk_q6_K *blk = (const blk_q6_K *)(w + (size_t)i * row_bytes) + b;
            d[i] = blk->d;
            for (int s = 0; s < 16; s++) {
                sc[16 * s + i] = blk->scales[s];
                for (int t = 0; t < 4; t++)
                    for (int e = 0; e < 4; e++) qs[256 * s + 64 * t + 4 * i + e] = (uint8_t)q6_K_value(blk, 16 * s + 4 * t + e);
            }
        }
    }
}

#if defined(__x86_64__)
AVX512 static inline __attribute__((always_inline)) void q6_K_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += Q6_K_GROUP_BLOCK) {
        const int8_t *sc = (const int8_t *)(p + 4096);
        __m512 dv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p + 4096 + 256)));
        for (int s = 0; s < 16; s++) {
            __m512i w[4];
            for (int t = 0; t < 4; t++) {
                w[t] = _mm512_load_si512(p + 256 * s + 64 * t);
                _mm_prefetch((const char *)p + PREFETCH + 256 * s + 64 * t, _MM_HINT_T0);
            }
            __m512 ds = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(sc + 16 * s)))), dv);
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
            for (int r = 0; r < n; r++) {
                const act_q8_256 *a = x[r] + b;
                __m512i sum = dpbusd_rows(_mm512_set1_epi32(-32 * a->bsums[s]), w, a->qs + 16 * s, 4);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ds, _mm512_set1_ps(a->d)), acc[r]);
            }
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(q6_K, q6_K_group_rows, act_q8_256)
#endif
