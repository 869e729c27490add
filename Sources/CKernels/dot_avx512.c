// AVX-512 VNNI dot products for the types batched decode spends its time in (Q4_1 and
// Q5_0 weights, Q8_0 weights/LM heads): two 32-element blocks per 512-bit register and one
// vpdpbusd per block pair. The single-row and four-row kernels share one body with the
// same accumulation order, so a row's result does not depend on how many rows run with it.
// Only called after tern_init() has found AVX-512 F/BW/DQ/VL and VNNI.
#include "quants.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c")))

AVX512 static inline __m256i nibbles256(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

AVX512 static inline __m512i pair512(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Two blocks' activation bytes; a missing second block (odd count) reads as zeros.
AVX512 static inline __m512i act_pair(const act_q8_32 *x, int i, int has2) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)x[i].qs);
    return pair512(lo, has2 ? _mm256_loadu_si256((const __m256i *)x[i + 1].qs) : _mm256_setzero_si256());
}

// [d, m] of a Q4_1 block (lanes 0, 1; lanes 2, 3 zero).
AVX512 static inline __m128 dm_q4_1(const blk_q4_1 *b) {
    int32_t v;
    memcpy(&v, &b->d, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128(v));
}

AVX512 static inline __m128 ds_act(const act_q8_32 *x) { return _mm_castpd_ps(_mm_load_sd((const double *)&x->d)); }

// Q4_1 × act: n (1 or 4) activation rows against one weight row.
AVX512 static inline void q4_1_rows(int k, const blk_q4_1 *w, const act_q8_32 *const *x, int n, float *out) {
    const __m512i lanes = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4);
    __m512 acc[4], mac[4];
    for (int r = 0; r < n; r++) { acc[r] = _mm512_setzero_ps(); mac[r] = _mm512_setzero_ps(); }
    int nb = k / 32;
    for (int i = 0; i < nb; i += 2) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(nibbles256(w[i].qs), has2 ? nibbles256(w[i + 1].qs) : _mm256_setzero_si256());
        __m128 dm0 = dm_q4_1(&w[i]), dm1 = has2 ? dm_q4_1(&w[i + 1]) : _mm_setzero_ps();
        for (int r = 0; r < n; r++) {
            __m128 f0 = _mm_mul_ps(dm0, ds_act(&x[r][i]));                       // [dw*dx, m*s]
            __m128 f1 = has2 ? _mm_mul_ps(dm1, ds_act(&x[r][i + 1])) : _mm_setzero_ps();
            __m512 f = _mm512_insertf32x4(_mm512_castps128_ps512(f0), f1, 1);
            __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, act_pair(x[r], i, has2));
            acc[r] = _mm512_fmadd_ps(_mm512_permutexvar_ps(lanes, f), _mm512_cvtepi32_ps(p), acc[r]);
            mac[r] = _mm512_add_ps(mac[r], f);
        }
    }
    for (int r = 0; r < n; r++) {
        float m[16];
        _mm512_storeu_ps(m, mac[r]);
        out[r] = _mm512_reduce_add_ps(acc[r]) + m[1] + m[5];
    }
}

// Q8_0 × act: signed × signed through |w| and x·sign(w).
AVX512 static inline void q8_0_rows(int k, const blk_q8_0 *w, const act_q8_32 *const *x, int n, float *out) {
    __m512 acc[4];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    int nb = k / 32;
    for (int i = 0; i < nb; i += 2) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(_mm256_loadu_si256((const __m256i *)w[i].qs),
                            has2 ? _mm256_loadu_si256((const __m256i *)w[i + 1].qs) : _mm256_setzero_si256());
        __mmask64 neg = _mm512_movepi8_mask(q);
        __m512i aq = _mm512_abs_epi8(q);
        float d0 = f16(w[i].d), d1 = has2 ? f16(w[i + 1].d) : 0;
        for (int r = 0; r < n; r++) {
            __m512i xv = act_pair(x[r], i, has2);
            __m512i xs = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
            __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aq, xs);
            __m512 f = _mm512_insertf32x8(_mm512_set1_ps(d0 * x[r][i].d), _mm256_set1_ps(has2 ? d1 * x[r][i + 1].d : 0), 1);
            acc[r] = _mm512_fmadd_ps(f, _mm512_cvtepi32_ps(p), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

// A Q5_0 block as signed bytes: (nibble | bit << 4) - 16, i.e. the nibble where the high
// bit is set and the nibble with 0xF0 OR-ed in where it is clear.
AVX512 static inline __m256i q5_0_bytes(const blk_q5_0 *b) {
    uint32_t qh;
    memcpy(&qh, b->qh, 4);
    __m256i clear = _mm256_andnot_si256(_mm256_movm_epi8(qh), _mm256_set1_epi8((char)0xF0));
    return _mm256_or_si256(nibbles256(b->qs), clear);
}

// Q5_0 × act: as Q8_0, signed × signed through |w| and x·sign(w).
AVX512 static inline void q5_0_rows(int k, const blk_q5_0 *w, const act_q8_32 *const *x, int n, float *out) {
    __m512 acc[4];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    int nb = k / 32;
    for (int i = 0; i < nb; i += 2) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(q5_0_bytes(&w[i]), has2 ? q5_0_bytes(&w[i + 1]) : _mm256_setzero_si256());
        __mmask64 neg = _mm512_movepi8_mask(q);
        __m512i aq = _mm512_abs_epi8(q);
        float d0 = f16(w[i].d), d1 = has2 ? f16(w[i + 1].d) : 0;
        for (int r = 0; r < n; r++) {
            __m512i xv = act_pair(x[r], i, has2);
            __m512i xs = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
            __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aq, xs);
            __m512 f = _mm512_insertf32x8(_mm512_set1_ps(d0 * x[r][i].d), _mm256_set1_ps(has2 ? d1 * x[r][i + 1].d : 0), 1);
            acc[r] = _mm512_fmadd_ps(f, _mm512_cvtepi32_ps(p), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

AVX512 static float dot_q5_0(int k, const void *w, const void *x) {
    const act_q8_32 *xs[1] = {x};
    float o;
    q5_0_rows(k, w, xs, 1, &o);
    return o;
}

AVX512 static void dot4_q5_0(int k, const void *w, const void *const *x, float *out) {
    q5_0_rows(k, w, (const act_q8_32 *const *)x, 4, out);
}

AVX512 static float dot_q4_1(int k, const void *w, const void *x) {
    const act_q8_32 *xs[1] = {x};
    float o;
    q4_1_rows(k, w, xs, 1, &o);
    return o;
}

AVX512 static void dot4_q4_1(int k, const void *w, const void *const *x, float *out) {
    q4_1_rows(k, w, (const act_q8_32 *const *)x, 4, out);
}

AVX512 static float dot_q8_0(int k, const void *w, const void *x) {
    const act_q8_32 *xs[1] = {x};
    float o;
    q8_0_rows(k, w, xs, 1, &o);
    return o;
}

AVX512 static void dot4_q8_0(int k, const void *w, const void *const *x, float *out) {
    q8_0_rows(k, w, (const act_q8_32 *const *)x, 4, out);
}

tern_dot_fn tern_dot_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot_q4_1;
    case TERN_Q5_0: return dot_q5_0;
    case TERN_Q8_0: return dot_q8_0;
    default: return 0;
    }
}

tern_dot4_fn tern_dot4_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot4_q4_1;
    case TERN_Q5_0: return dot4_q5_0;
    case TERN_Q8_0: return dot4_q8_0;
    default: return 0;
    }
}

int tern_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
}

int tern_cpu_has_avx512_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}
#else
tern_dot_fn tern_dot_avx512(int type) { (void)type; return 0; }
tern_dot4_fn tern_dot4_avx512(int type) { (void)type; return 0; }
int tern_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
}

int tern_cpu_has_avx512_vnni(void) { return 0; }
int tern_cpu_has_avx512(void) { return 0; }
#endif
