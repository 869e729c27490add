// AVX-512 VNNI dot products for the types batched decode spends its time in (Q4_1 and
// Q5_0 weights, Q8_0 weights/LM heads): two 32-element blocks per 512-bit register and one
// vpdpbusd per block pair, against activations packed by block pairs (act_q8_32p) so that a
// row costs one load for its bytes and one for its scales. The single-row and four-row
// kernels share one body with the same accumulation order, so a row's result does not
// depend on how many rows run with it.
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

// The scales of a weight block pair, spread as the packed activations' are: lanes 0-7 the
// first block's, lanes 8-15 the second's (zero when there is no second block).
AVX512 static inline __m512 pair_scales(float a, float b) {
    return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

// Q4_1 × act: n (1 to 8) activation rows against one weight row. Per block pair the weight
// nibbles and scales are prepared once; each row adds one vpdpbusd, its products scaled by
// dw·dx, and m·s for the blocks' offsets.
AVX512 static inline void q4_1_rows(int k, const blk_q4_1 *w, const act_q8_32p *const *x, int n, float *out) {
    __m512 acc[8], mac[8];
    for (int r = 0; r < n; r++) { acc[r] = _mm512_setzero_ps(); mac[r] = _mm512_setzero_ps(); }
    int nb = k / 32;
    for (int i = 0, p = 0; i < nb; i += 2, p++) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(nibbles256(w[i].qs), has2 ? nibbles256(w[i + 1].qs) : _mm256_setzero_si256());
        __m512 dw = pair_scales(f16(w[i].d), has2 ? f16(w[i + 1].d) : 0);
        __m512 mw = pair_scales(f16(w[i].m), has2 ? f16(w[i + 1].m) : 0);
        for (int r = 0; r < n; r++) {
            const act_q8_32p *a = &x[r][p];
            __m512i prod = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(a->qs));
            __m512 scale = _mm512_mul_ps(dw, _mm512_loadu_ps(a->d));
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(prod), scale, acc[r]);
            mac[r] = _mm512_fmadd_ps(mw, _mm512_loadu_ps(a->s), mac[r]);
        }
    }
    for (int r = 0; r < n; r++) out[r] = _mm512_reduce_add_ps(acc[r]) + _mm512_reduce_add_ps(mac[r]);
}

// Signed weight bytes × act, signed × signed through |w| and x·sign(w) (Q8_0, Q5_0).
AVX512 static inline void signed_pair_rows(__m512i q, __m512 dw, const act_q8_32p *const *x, int p, int n, __m512 *acc) {
    __mmask64 neg = _mm512_movepi8_mask(q);
    __m512i aq = _mm512_abs_epi8(q);
    for (int r = 0; r < n; r++) {
        const act_q8_32p *a = &x[r][p];
        __m512i xv = _mm512_loadu_si512(a->qs);
        __m512i xs = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
        __m512i prod = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aq, xs);
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(prod), _mm512_mul_ps(dw, _mm512_loadu_ps(a->d)), acc[r]);
    }
}

// Q8_0 × act.
AVX512 static inline void q8_0_rows(int k, const blk_q8_0 *w, const act_q8_32p *const *x, int n, float *out) {
    __m512 acc[8];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    int nb = k / 32;
    for (int i = 0, p = 0; i < nb; i += 2, p++) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(_mm256_loadu_si256((const __m256i *)w[i].qs),
                            has2 ? _mm256_loadu_si256((const __m256i *)w[i + 1].qs) : _mm256_setzero_si256());
        signed_pair_rows(q, pair_scales(f16(w[i].d), has2 ? f16(w[i + 1].d) : 0), x, p, n, acc);
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

// Q5_0 × act.
AVX512 static inline void q5_0_rows(int k, const blk_q5_0 *w, const act_q8_32p *const *x, int n, float *out) {
    __m512 acc[8];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    int nb = k / 32;
    for (int i = 0, p = 0; i < nb; i += 2, p++) {
        int has2 = i + 1 < nb;
        __m512i q = pair512(q5_0_bytes(&w[i]), has2 ? q5_0_bytes(&w[i + 1]) : _mm256_setzero_si256());
        signed_pair_rows(q, pair_scales(f16(w[i].d), has2 ? f16(w[i + 1].d) : 0), x, p, n, acc);
    }
    for (int r = 0; r < n; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

// One-, four- and eight-row entry points (the same body, so results never depend on batching).
#define ROWS_ENTRY(name, blk)                                                                  \
    AVX512 static float dot_##name(int k, const void *w, const void *x) {                     \
        const act_q8_32p *xs[1] = {x};                                                         \
        float o;                                                                               \
        name##_rows(k, (const blk *)w, xs, 1, &o);                                             \
        return o;                                                                              \
    }                                                                                          \
    AVX512 static void dot4_##name(int k, const void *w, const void *const *x, float *out) {  \
        name##_rows(k, (const blk *)w, (const act_q8_32p *const *)x, 4, out);                  \
    }                                                                                          \
    AVX512 static void dot8_##name(int k, const void *w, const void *const *x, float *out) {  \
        name##_rows(k, (const blk *)w, (const act_q8_32p *const *)x, 8, out);                  \
    }
ROWS_ENTRY(q4_1, blk_q4_1)
ROWS_ENTRY(q5_0, blk_q5_0)
ROWS_ENTRY(q8_0, blk_q8_0)

tern_dot_fn tern_dot_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot_q4_1;
    case TERN_Q5_0: return dot_q5_0;
    case TERN_Q8_0: return dot_q8_0;
    default: return 0;
    }
}

tern_dot4_fn tern_dot8_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot8_q4_1;
    case TERN_Q5_0: return dot8_q5_0;
    case TERN_Q8_0: return dot8_q8_0;
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
tern_dot4_fn tern_dot8_avx512(int type) { (void)type; return 0; }
int tern_cpu_has_avx512(void) { return 0; }
int tern_cpu_has_avx512_vnni(void) { return 0; }
#endif
