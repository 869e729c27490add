// AVX-512 VNNI dot products for Q4_1 and the K-quants (Q4_K, Q6_K); Q5_0 and Q8_0 have
// their own packed kernel (packed_avx512.c). Q4_1 takes two 32-element blocks per 512-bit
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

// Q4_K × act (256-element blocks, eight 32-element sub-blocks with 6-bit scales and mins):
// the nibbles of sub-blocks 2j and 2j+1 fill one register against activation bytes
// 64j..64j+63; each row adds four vpdpbusd per block, its sub-block sums scaled in floats,
// and the mins through the activation's 16-element sums.
AVX512 static inline void q4_K_rows(int k, const blk_q4_K *w, const act_q8_256 *const *x, int n, float *out) {
    __m512 acc[8];
    __m256 macc[8];
    for (int r = 0; r < n; r++) { acc[r] = _mm512_setzero_ps(); macc[r] = _mm256_setzero_ps(); }
    const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int i = 0; i < k / 256; i++) {
        const blk_q4_K *b = &w[i];
        uint8_t sc[8], mn[8];
        for (int j = 0; j < 8; j++) kquant_scale_min(j, b->scales, &sc[j], &mn[j]);
        __m512i v[4];
        __m512 s[4];
        for (int j = 0; j < 4; j++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * j));
            v[j] = pair512(_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
            s[j] = pair_scales((float)sc[2 * j], (float)sc[2 * j + 1]);
        }
        __m256 mins = _mm256_setr_ps(mn[0], mn[1], mn[2], mn[3], mn[4], mn[5], mn[6], mn[7]);
        float d = f16(b->d), dmin = f16(b->dmin);
        for (int r = 0; r < n; r++) {
            const act_q8_256 *a = &x[r][i];
            __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), v[0], _mm512_loadu_si512(a->qs))), s[0]);
            for (int j = 1; j < 4; j++) {
                __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v[j], _mm512_loadu_si512(a->qs + 64 * j));
                t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), s[j], t);
            }
            acc[r] = _mm512_fmadd_ps(t, _mm512_set1_ps(d * a->d), acc[r]);
            // Σ over sub-blocks of min · (sum of the sub-block's activation bytes).
            __m256 sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a->bsums), ones));
            macc[r] = _mm256_fmadd_ps(_mm256_mul_ps(sums, mins), _mm256_set1_ps(dmin * a->d), macc[r]);
        }
    }
    for (int r = 0; r < n; r++) {
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(macc[r]), _mm256_extractf128_ps(macc[r], 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        out[r] = _mm512_reduce_add_ps(acc[r]) - _mm_cvtss_f32(h);
    }
}

// Q6_K × act (256-element blocks, 6-bit values stored as 4 low + 2 high bits, 16 int8
// scales of 16 elements): (q - 32)·x = q·x - 32·Σx, the second term through the
// activation's 16-element sums, so the bytes stay unsigned for vpdpbusd.
AVX512 static inline void q6_K_rows(int k, const blk_q6_K *w, const act_q8_256 *const *x, int n, float *out) {
    __m512 acc[8], macc[8];
    for (int r = 0; r < n; r++) { acc[r] = _mm512_setzero_ps(); macc[r] = _mm512_setzero_ps(); }
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    for (int i = 0; i < k / 256; i++) {
        const blk_q6_K *b = &w[i];
        __m512i v[4];
        __m512 s[4];
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i hb = _mm256_loadu_si256((const __m256i *)qh);
            __m256i q0 = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
            __m256i q1 = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4));
            __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4));
            __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4));
            v[2 * h] = pair512(q0, q1);
            v[2 * h + 1] = pair512(q2, q3);
            for (int t = 0; t < 2; t++) {  // scales of the register's four 16-element groups, four lanes each
                int32_t four;
                memcpy(&four, b->scales + 8 * h + 4 * t, 4);
                __m512i sc = _mm512_castsi128_si512(_mm_cvtepi8_epi32(_mm_cvtsi32_si128(four)));
                s[2 * h + t] = _mm512_cvtepi32_ps(_mm512_permutexvar_epi32(spread, sc));
            }
        }
        __m512 all = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)b->scales)));  // 16 scales
        float d = f16(b->d);
        for (int r = 0; r < n; r++) {
            const act_q8_256 *a = &x[r][i];
            __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), v[0], _mm512_loadu_si512(a->qs))), s[0]);
            for (int j = 1; j < 4; j++) {
                __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v[j], _mm512_loadu_si512(a->qs + 64 * j));
                t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), s[j], t);
            }
            acc[r] = _mm512_fmadd_ps(t, _mm512_set1_ps(d * a->d), acc[r]);
            __m512 sums = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)a->bsums)));
            macc[r] = _mm512_fmadd_ps(_mm512_mul_ps(sums, all), _mm512_set1_ps(32 * d * a->d), macc[r]);
        }
    }
    for (int r = 0; r < n; r++) out[r] = _mm512_reduce_add_ps(acc[r]) - _mm512_reduce_add_ps(macc[r]);
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
ROWS_ENTRY(q4_K, blk_q4_K, act_q8_256)
ROWS_ENTRY(q6_K, blk_q6_K, act_q8_256)

tern_dot_fn tern_dot_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot_q4_1;
    case TERN_Q4_K: return dot_q4_K;
    case TERN_Q6_K: return dot_q6_K;
    default: return 0;
    }
}

tern_dot4_fn tern_dot8_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot8_q4_1;
    case TERN_Q4_K: return dot8_q4_K;
    case TERN_Q6_K: return dot8_q6_K;
    default: return 0;
    }
}

tern_dot4_fn tern_dot4_avx512(int type) {
    switch (type) {
    case TERN_Q4_1: return dot4_q4_1;
    case TERN_Q4_K: return dot4_q4_K;
    case TERN_Q6_K: return dot4_q6_K;
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
