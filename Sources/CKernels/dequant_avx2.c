// AVX2 dequantization for the GEMM path's weight panels (same values as dequant.c, which
// the tests compare against element by element).
#include "quants.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

// 32 signed bytes → 4 × 8 floats, y = d * q + m.
AVX2 static inline void store_affine(__m256i q, __m256 d, __m256 m, float *y) {
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(y, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), m));
    _mm256_storeu_ps(y + 8, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), m));
    _mm256_storeu_ps(y + 16, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), m));
    _mm256_storeu_ps(y + 24, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), m));
}

AVX2 static inline __m256i nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

AVX2 static inline __m256i bits32(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), shuf);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

AVX2 static void dq_q4_0(const blk_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32)
        store_affine(_mm256_sub_epi8(nibbles(b[i].qs), _mm256_set1_epi8(8)), _mm256_set1_ps(f16(b[i].d)), _mm256_setzero_ps(), y);
}

AVX2 static void dq_q4_1(const blk_q4_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32)
        store_affine(nibbles(b[i].qs), _mm256_set1_ps(f16(b[i].d)), _mm256_set1_ps(f16(b[i].m)), y);
}

AVX2 static void dq_q5_0(const blk_q5_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        __m256i q = _mm256_or_si256(nibbles(b[i].qs), _mm256_andnot_si256(bits32(b[i].qh), _mm256_set1_epi8((char)0xF0)));
        store_affine(q, _mm256_set1_ps(f16(b[i].d)), _mm256_setzero_ps(), y);
    }
}

AVX2 static void dq_q8_0(const blk_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32)
        store_affine(_mm256_loadu_si256((const __m256i *)b[i].qs), _mm256_set1_ps(f16(b[i].d)), _mm256_setzero_ps(), y);
}

AVX2 static void dq_q4_K(const blk_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int j = 0; j < 4; j++, y += 64) {
            uint8_t sc, m;
            __m256i q = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * j));
            kquant_scale_min(2 * j, b[i].scales, &sc, &m);
            store_affine(_mm256_and_si256(q, _mm256_set1_epi8(0x0F)), _mm256_set1_ps(d * sc), _mm256_set1_ps(-dmin * m), y);
            kquant_scale_min(2 * j + 1, b[i].scales, &sc, &m);
            store_affine(_mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F)), _mm256_set1_ps(d * sc),
                         _mm256_set1_ps(-dmin * m), y + 32);
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
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d);
        const uint8_t *ql = b[i].ql, *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        for (int n = 0; n < 2; n++, y += 128, ql += 64, qh += 32, sc += 8) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4));
            for (int t = 0; t < 4; t++) {
                store16(_mm256_castsi256_si128(q[t]), d * sc[2 * t], y + 32 * t);
                store16(_mm256_extracti128_si256(q[t], 1), d * sc[2 * t + 1], y + 32 * t + 16);
            }
        }
    }
}

int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
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
