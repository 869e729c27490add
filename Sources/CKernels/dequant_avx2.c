// AVX2 dequantization for the GEMM path's weight panels (same values as dequant.c, which
// the tests compare against element by element).
#include "avx2.h"

#if defined(__x86_64__)
// 32 signed bytes → 4 × 8 floats, y = d * q, or d * q + m for the types with a minimum (without
// one nothing is added: + 0 would turn the -0 of a negative scale times 0 into the +0 numpy does
// not give).
AVX2 static inline __attribute__((always_inline)) __m256 affine(__m256 d, __m128i q8, __m256 m, int has_min) {
    __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
    return has_min ? _mm256_fmadd_ps(d, v, m) : _mm256_mul_ps(d, v);
}
AVX2 static inline __attribute__((always_inline)) void store_affine(__m256i q, __m256 d, __m256 m, int has_min, float *y) {
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y, affine(d, lo, m, has_min));
    _mm256_storeu_ps(y + 8, affine(d, _mm_srli_si128(lo, 8), m, has_min));
    _mm256_storeu_ps(y + 16, affine(d, hi, m, has_min));
    _mm256_storeu_ps(y + 24, affine(d, _mm_srli_si128(hi, 8), m, has_min));
}

// The 32-element block types: y = d * q (+ m for Q4_1).
#define DQ_32(type, min, has_min)                                                                                  \
    AVX2 static void dq_##type(const blk_##type *b, float *y, int64_t nb) {                                        \
        for (int64_t i = 0; i < nb; i++, y += 32)                                                                  \
            store_affine(type##_bytes(&b[i]), _mm256_set1_ps(f16(b[i].d)), min, has_min, y);                       \
    }
DQ_32(q4_0, _mm256_setzero_ps(), 0)
DQ_32(q4_1, _mm256_set1_ps(f16(b[i].m)), 1)
DQ_32(q5_0, _mm256_setzero_ps(), 0)
DQ_32(q8_0, _mm256_setzero_ps(), 0)

AVX2 static void dq_q4_K(const blk_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int j = 0; j < 4; j++, y += 64) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * j));
            for (int h = 0; h < 2; h++, q = _mm256_srli_epi16(q, 4)) {  // low nibbles, then high
                uint8_t sc, m;
                kquant_scale_min(2 * j + h, b[i].scales, &sc, &m);
                store_affine(_mm256_and_si256(q, _mm256_set1_epi8(0x0F)), _mm256_set1_ps(d * sc), _mm256_set1_ps(-dmin * m), 1, y + 32 * h);
            }
        }
    }
}

// 16 bytes of 6-bit values (0..63) minus 32, times d * scale, for one 16-element group.
AVX2 static inline void store16(__m128i q, float scale, float *y) {
    __m128i s = _mm_sub_epi8(q, _mm_set1_epi8(32));
    __m256 d = _mm256_set1_ps(scale);
    _mm256_storeu_ps(y, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s))));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(s, 8)))));
}

AVX2 static void dq_q6_K(const blk_q6_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d);
        const int8_t *sc = b[i].scales;
        for (int n = 0; n < 2; n++, y += 128, sc += 8) {
            __m256i q[4];
            q6_K_half(b[i].ql + 64 * n, b[i].qh + 32 * n, q);
            for (int t = 0; t < 4; t++) {
                store16(_mm256_castsi256_si128(q[t]), d * sc[2 * t], y + 32 * t);
                store16(_mm256_extracti128_si256(q[t], 1), d * sc[2 * t + 1], y + 32 * t + 16);
            }
        }
    }
}

// IQ4_NL and IQ4_XS: grid values times the (sub-)block's scale, each product exact in float.
AVX2 static void dq_iq4_nl(const blk_iq4_nl *b, float *y, int64_t nb) {
    const __m256i table = iq4_table();
    for (int64_t i = 0; i < nb; i++, y += 32) store_affine(iq4_bytes(b[i].qs, table), _mm256_set1_ps(f16(b[i].d)), _mm256_setzero_ps(), 0, y);
}

AVX2 static void dq_iq4_xs(const blk_iq4_xs *b, float *y, int64_t nb) {
    const __m256i table = iq4_table();
    for (int64_t i = 0; i < nb; i++)
        for (int ib = 0; ib < 8; ib++, y += 32) {
            __m256 dl = _mm256_set1_ps(f16(b[i].d) * (float)iq4_xs_scale(&b[i], ib));
            store_affine(iq4_bytes(b[i].qs + 16 * ib, table), dl, _mm256_setzero_ps(), 0, y);
        }
}

int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case TERN_IQ4_NL: dq_iq4_nl(src, dst, n / 32); return 0;
    case TERN_IQ4_XS: dq_iq4_xs(src, dst, n / 256); return 0;
    case TERN_Q4_0: dq_q4_0(src, dst, n / 32); return 0;
    case TERN_Q4_1: dq_q4_1(src, dst, n / 32); return 0;
    case TERN_Q5_0: dq_q5_0(src, dst, n / 32); return 0;
    case TERN_Q8_0: dq_q8_0(src, dst, n / 32); return 0;
    case TERN_Q4_K: dq_q4_K(src, dst, n / 256); return 0;
    case TERN_Q6_K: dq_q6_K(src, dst, n / 256); return 0;
    default: return -1;
    }
}
#else
int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n) { (void)type; (void)src; (void)dst; (void)n; return -1; }
#endif
