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


// Float weights: the 1×1 tiles of float_tiles.c (so a pair's result is the same in any tile).
AVX2 static float dot_f32(int k, const void *w, const void *x) { return tern_dot_float(TERN_F32, k, w, x); }
AVX2 static float dot_f16(int k, const void *w, const void *x) { return tern_dot_float(TERN_F16, k, w, x); }
AVX2 static float dot_bf16(int k, const void *w, const void *x) { return tern_dot_float(TERN_BF16, k, w, x); }

tern_dot_fn tern_dot_avx2(int type) {
    switch (type) {
    // (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K and IQ4_XS are packed: packed_avx2.c.)
    case TERN_F32: return dot_f32;
    case TERN_F16: return dot_f16;
    case TERN_BF16: return dot_bf16;
    case TERN_Q5_1: return dot_q5_1;
    default: return tern_dot_lowbit_avx2(type);
    }
}

tern_dot4_fn tern_dot4_avx2(int type) { return tern_dot4_lowbit_avx2(type); }
#else
tern_dot_fn tern_dot_avx2(int type) { (void)type; return 0; }
tern_dot4_fn tern_dot4_avx2(int type) { (void)type; return 0; }
#endif
