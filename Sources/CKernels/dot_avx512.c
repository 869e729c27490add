// AVX-512 VNNI dot products for Q4_1; Q5_0, Q8_0, Q4_K and Q6_K have packed kernels
// (packed_*_avx512.c). Q4_1 takes two 32-element blocks per 512-bit
// register and one vpdpbusd per block pair, against activations packed by block pairs
// (act_q8_32p) so that a row costs one load for its bytes and one for its scales: its
// nibbles are vpdpbusd's unsigned side against int8 activations. The single-row, four-row
// and eight-row kernels share one body with the same accumulation order, so a row's result
// does not depend on how many rows run with it.
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

// One-, four- and eight-row entry points (the same body, so results never depend on batching).
#define ROWS_ENTRY(name, blk, act)                                                             \
    AVX512 static float dot_##name(int k, const void *w, const void *x) {                     \
        const act *xs[1] = {x};                                                                \
        float o;                                                                               \
        name##_rows(k, (const blk *)w, xs, 1, &o);                                             \
        return o;                                                                              \
    }                                                                                          \
    AVX512 static void dot4_##name(int k, const void *w, const void *const *x, float *out) {  \
        name##_rows(k, (const blk *)w, (const act *const *)x, 4, out);                         \
    }                                                                                          \
    AVX512 static void dot8_##name(int k, const void *w, const void *const *x, float *out) {  \
        name##_rows(k, (const blk *)w, (const act *const *)x, 8, out);                         \
    }
ROWS_ENTRY(q4_1, blk_q4_1, act_q8_32p)

tern_dot_fn tern_dot_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot_q4_1;
    default: return 0;
    }
}

tern_dot4_fn tern_dot8_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot8_q4_1;
    default: return 0;
    }
}

tern_dot4_fn tern_dot4_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot4_q4_1;
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
