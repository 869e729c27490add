// AVX2/FMA dot products. Compiled for every x86-64 CPU through target attributes and only
// called after tern_init() has found AVX2, FMA and F16C.
#include "avx2.h"

#if defined(__x86_64__)
// The two halves at p (e.g. a block's d and m) as floats in lanes 0 and 1, via F16C. A
// 32-bit load keeps the compiler from merging into (and so depending on) another register.
AVX2 static inline __m128 h2f_pair(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128(v));
}

// Q5_1: n activation rows against one weight row, one accumulator per row:
// the weight blocks are unpacked once for all rows (what makes batched decode cheaper per row
// than single-row GEMV), and a row gets bit-identical results whether it is computed alone or not.
#define ROWS_WITH_MIN(type)                                                                                            \
    AVX2 static inline __attribute__((always_inline)) void rows_##type(int k, const blk_##type *w, const void *const *vx, \
                                                                        int n, float *out) {                           \
        __m256 acc[4];                                                                                                 \
        __m128 accm[4];  /* lane 1 accumulates m * s */                                                                \
        for (int r = 0; r < n; r++) {                                                                                  \
            acc[r] = _mm256_setzero_ps();                                                                              \
            accm[r] = _mm_setzero_ps();                                                                                \
        }                                                                                                              \
        for (int i = 0; i < k / 32; i++) {                                                                             \
            __m256i q = type##_bytes(&w[i]);                                                                           \
            __m128 dm = h2f_pair(&w[i].d);  /* [d, m] */                                                               \
            for (int r = 0; r < n; r++) {                                                                              \
                const act_q8_32 *x = (const act_q8_32 *)vx[r] + i;                                                     \
                __m128 f = _mm_mul_ps(dm, _mm_castpd_ps(_mm_load_sd((const double *)&x->d)));  /* [dw*dx, m*s] */      \
                __m256i p = dot_us(q, _mm256_loadu_si256((const __m256i *)x->qs));                                     \
                acc[r] = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), _mm256_cvtepi32_ps(p), acc[r]);                     \
                accm[r] = _mm_add_ps(accm[r], f);                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        for (int r = 0; r < n; r++) out[r] = hsum_ps(acc[r]) + _mm_cvtss_f32(_mm_shuffle_ps(accm[r], accm[r], 1));     \
    }                                                                                                                  \
    AVX2 static float dot_##type(int k, const void *w, const void *x) {                                                \
        float y;                                                                                                       \
        rows_##type(k, w, &x, 1, &y);                                                                                  \
        return y;                                                                                                      \
    }
ROWS_WITH_MIN(q5_1)

// Q4_K/Q5_K share the structure: per group of 64, two sub-blocks with their own scale;
// the minimums come out of the activation block's 16-element sums.
AVX2 static inline float kquant_4_5(const uint8_t *scales, const uint8_t *qs, const uint8_t *qh,
                                    const act_q8_256 *x, float d, float dmin) {
    __m256i sumi = _mm256_setzero_si256();
    int summ = 0;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int j = 0; j < 4; j++) {
        uint8_t sc1, m1, sc2, m2;
        kquant_scale_min(2 * j, scales, &sc1, &m1);
        kquant_scale_min(2 * j + 1, scales, &sc2, &m2);
        __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * j));
        __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        if (qh) {
            __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i b1 = _mm256_set1_epi8((char)(1 << (2 * j))), b2 = _mm256_set1_epi8((char)(2 << (2 * j)));
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, b1), b1), _mm256_set1_epi8(16)));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, b2), b2), _mm256_set1_epi8(16)));
        }
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * j));
        __m256i a2 = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * j + 32));
        __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a1), _mm256_set1_epi16(sc1));
        __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a2), _mm256_set1_epi16(sc2));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p1, p2));
        summ += m1 * (x->bsums[4 * j] + x->bsums[4 * j + 1]) + m2 * (x->bsums[4 * j + 2] + x->bsums[4 * j + 3]);
    }
    return x->d * (d * hsum_ps(_mm256_cvtepi32_ps(sumi)) - dmin * (float)summ);
}

TERN_DOT_K45(AVX2, q5_K, w[i].qh)

// Float weights: the 1×1 tiles of float_tiles.c (so a pair's result is the same in any tile).
AVX2 static float dot_f32(int k, const void *w, const void *x) { return tern_dot_float(TERN_F32, k, w, x); }
AVX2 static float dot_f16(int k, const void *w, const void *x) { return tern_dot_float(TERN_F16, k, w, x); }
AVX2 static float dot_bf16(int k, const void *w, const void *x) { return tern_dot_float(TERN_BF16, k, w, x); }

tern_dot_fn tern_dot_avx2(int type) {
    switch (type) {
    // (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K and Q6_K are packed on AVX2: packed_avx2.c.)
    case TERN_F32: return dot_f32;
    case TERN_F16: return dot_f16;
    case TERN_BF16: return dot_bf16;
    case TERN_Q5_1: return dot_q5_1;
    case TERN_Q5_K: return dot_q5_K;
    default: return tern_dot_lowbit_avx2(type);
    }
}

tern_dot4_fn tern_dot4_avx2(int type) { return tern_dot4_lowbit_avx2(type); }
#else
tern_dot_fn tern_dot_avx2(int type) { (void)type; return 0; }
tern_dot4_fn tern_dot4_avx2(int type) { (void)type; return 0; }
#endif
