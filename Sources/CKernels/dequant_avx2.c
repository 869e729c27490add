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
AVX2 static inline __attribute__((always_inline)) void store16_affine(__m128i q, __m256 d, __m256 m, int has_min, float *y) {
    _mm256_storeu_ps(y, affine(d, q, m, has_min));
    _mm256_storeu_ps(y + 8, affine(d, _mm_srli_si128(q, 8), m, has_min));
}
AVX2 static inline __attribute__((always_inline)) void store_affine(__m256i q, __m256 d, __m256 m, int has_min, float *y) {
    store16_affine(_mm256_castsi256_si128(q), d, m, has_min, y);
    store16_affine(_mm256_extracti128_si256(q, 1), d, m, has_min, y + 16);
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

// Q2_K and Q3_K: 32 values at a time (element 128h + 32s + l from bits 2s of qs[32h + l]), each
// 16 of them one group: Q2_K's d·scale·q - dmin·min, Q3_K's d·scale·(q - 4·[high bit clear]).
AVX2 static void dq_q2_K(const blk_q2_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * h));
            for (int s = 0; s < 4; s++, y += 32) {
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), _mm256_set1_epi8(3));
                uint8_t s0 = b[i].scales[8 * h + 2 * s], s1 = b[i].scales[8 * h + 2 * s + 1];
                store16_affine(_mm256_castsi256_si128(v), _mm256_set1_ps(d * (float)(s0 & 0xF)), _mm256_set1_ps(-(dmin * (float)(s0 >> 4))), 1, y);
                store16_affine(_mm256_extracti128_si256(v, 1), _mm256_set1_ps(d * (float)(s1 & 0xF)), _mm256_set1_ps(-(dmin * (float)(s1 >> 4))), 1, y + 16);
            }
        }
    }
}

AVX2 static void dq_q3_K(const blk_q3_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d);
        int8_t sc[16];
        q3_K_scales(b[i].scales, sc);
        __m256i hm = _mm256_loadu_si256((const __m256i *)b[i].hmask);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * h));
            for (int s = 0; s < 4; s++, y += 32) {
                __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + s)));
                __m256i clear = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), _mm256_set1_epi8(4));
                __m256i v = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(q, 2 * s), _mm256_set1_epi8(3)), clear);
                int g = 8 * h + 2 * s;
                store16_affine(_mm256_castsi256_si128(v), _mm256_set1_ps(d * (float)sc[g]), _mm256_setzero_ps(), 0, y);
                store16_affine(_mm256_extracti128_si256(v, 1), _mm256_set1_ps(d * (float)sc[g + 1]), _mm256_setzero_ps(), 0, y + 16);
            }
        }
    }
}

int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case TERN_Q2_K: dq_q2_K(src, dst, n / 256); return 0;
    case TERN_Q3_K: dq_q3_K(src, dst, n / 256); return 0;
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
