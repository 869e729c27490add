// AVX2/FMA dot products. Compiled for every x86-64 CPU through target attributes and only
// called after tern_init() has found AVX2, FMA and F16C.
#include "quants.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The two halves at p (e.g. a block's d and m) as floats in lanes 0 and 1, via F16C. A
// 32-bit load keeps the compiler from merging into (and so depending on) another register.
AVX2 static inline __m128 h2f_pair(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128(v));
}
// The half at p; reads 4 bytes, so only for fields followed by more of the block.
AVX2 static inline float h2f(const void *p) { return _mm_cvtss_f32(h2f_pair(p)); }

// 16 bytes of nibbles → 32 bytes: low nibbles (elements 0..15) then high nibbles (16..31).
AVX2 static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits → 32 bytes, 0xFF where the bit is set.
AVX2 static inline __m256i bits_to_bytes(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), shuf);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// Sum of products of 32 unsigned bytes u and 32 signed bytes s, as 8 int32.
AVX2 static inline __m256i dot_us(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Sum of products of 32 signed bytes a and 32 signed bytes b, as 8 int32.
AVX2 static inline __m256i dot_ss(__m256i a, __m256i b) {
    return dot_us(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

AVX2 static float dot_q4_0(int k, const void *vw, const void *vx) {
    const blk_q4_0 *w = vw; const act_q8_32 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        __m256i q = _mm256_sub_epi8(unpack_nibbles(w[i].qs), _mm256_set1_epi8(8));
        __m256i p = dot_ss(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(&w[i].d) * x[i].d), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

// One accumulator per row, in the same order as the four-row kernel below, so that a row
// gets bit-identical results whether it is computed alone or in a batch.
AVX2 static float dot_q4_1(int k, const void *vw, const void *vx) {
    const blk_q4_1 *w = vw; const act_q8_32 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();  // lane 1 accumulates m * s
    for (int i = 0; i < k / 32; i++) {
        __m256i q = unpack_nibbles(w[i].qs);
        __m128 f = _mm_mul_ps(h2f_pair(&w[i].d), _mm_castpd_ps(_mm_load_sd((const double *)&x[i].d)));  // [dw*dx, m*s]
        __m256i p = dot_us(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), _mm256_cvtepi32_ps(p), acc);
        accm = _mm_add_ps(accm, f);
    }
    return hsum_ps(acc) + _mm_cvtss_f32(_mm_shuffle_ps(accm, accm, 1));
}

AVX2 static float dot_q5_0(int k, const void *vw, const void *vx) {
    const blk_q5_0 *w = vw; const act_q8_32 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        // value = (nibble | bit << 4) - 16: where the bit is clear, OR-ing 0xF0 subtracts 16.
        __m256i hi = _mm256_andnot_si256(bits_to_bytes(w[i].qh), _mm256_set1_epi8((char)0xF0));
        __m256i q = _mm256_or_si256(unpack_nibbles(w[i].qs), hi);
        __m256i p = dot_ss(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(&w[i].d) * x[i].d), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

AVX2 static float dot_q5_1(int k, const void *vw, const void *vx) {
    const blk_q5_1 *w = vw; const act_q8_32 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    for (int i = 0; i < k / 32; i++) {
        __m256i hi = _mm256_and_si256(bits_to_bytes(w[i].qh), _mm256_set1_epi8(0x10));
        __m256i q = _mm256_or_si256(unpack_nibbles(w[i].qs), hi);
        __m256i p = dot_us(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(&w[i].d) * x[i].d), _mm256_cvtepi32_ps(p), acc);
        summ += h2f(&w[i].m) * x[i].s;
    }
    return hsum_ps(acc) + summ;
}

AVX2 static float dot_q8_0(int k, const void *vw, const void *vx) {
    const blk_q8_0 *w = vw; const act_q8_32 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        __m256i q = _mm256_loadu_si256((const __m256i *)w[i].qs);
        __m256i p = dot_us(_mm256_sign_epi8(q, q), _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x[i].qs), q));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(&w[i].d) * x[i].d), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

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

AVX2 static float dot_q4_K(int k, const void *vw, const void *vx) {
    const blk_q4_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) sum += kquant_4_5(w[i].scales, w[i].qs, 0, &x[i], f16(w[i].d), f16(w[i].dmin));
    return sum;
}

AVX2 static float dot_q5_K(int k, const void *vw, const void *vx) {
    const blk_q5_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) sum += kquant_4_5(w[i].scales, w[i].qs, w[i].qh, &x[i], f16(w[i].d), f16(w[i].dmin));
    return sum;
}

AVX2 static float dot_q6_K(int k, const void *vw, const void *vx) {
    const blk_q6_K *w = vw; const act_q8_256 *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03), k32 = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 256; i++) {
        __m256i sumi = _mm256_setzero_si256();
        const uint8_t *ql = w[i].ql, *qh = w[i].qh;
        const int8_t *sc = w[i].scales, *a = x[i].qs;
        for (int n = 0; n < 2; n++, ql += 64, qh += 32, sc += 8, a += 128) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4));
            for (int t = 0; t < 4; t++) {
                __m256i av = _mm256_loadu_si256((const __m256i *)(a + 32 * t));
                // (q - 32) · a = q · a - 32 · a, both in unsigned-by-signed form.
                __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[t], av), _mm256_maddubs_epi16(k32, av));
                __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[2 * t + 1]), _mm_set1_epi16(sc[2 * t]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, s));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[i].d) * x[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc);
}

AVX2 static float dot_f32(int k, const void *vw, const void *vx) {
    const float *w = vw, *x = vx;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= k; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum_ps(_mm256_add_ps(a0, a1));
    for (; i < k; i++) s += w[i] * x[i];
    return s;
}

AVX2 static float dot_f16(int k, const void *vw, const void *vx) {
    const uint16_t *w = vw; const float *x = vx;
    __m256 a0 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= k; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))), _mm256_loadu_ps(x + i), a0);
    float s = hsum_ps(a0);
    for (; i < k; i++) s += f16(w[i]) * x[i];
    return s;
}

tern_dot_fn tern_dot_avx2(int type) {
    switch (type) {
    case TERN_F32: return dot_f32;
    case TERN_F16: return dot_f16;
    case TERN_Q4_0: return dot_q4_0;
    case TERN_Q4_1: return dot_q4_1;
    case TERN_Q5_0: return dot_q5_0;
    case TERN_Q5_1: return dot_q5_1;
    case TERN_Q8_0: return dot_q8_0;
    case TERN_Q4_K: return dot_q4_K;
    case TERN_Q5_K: return dot_q5_K;
    case TERN_Q6_K: return dot_q6_K;
    default: return 0;
    }
}
#else
tern_dot_fn tern_dot_avx2(int type) { (void)type; return 0; }
#endif

#if defined(__x86_64__)
// Four activation rows against one weight row: the weight blocks are unpacked once and
// reused, which is what makes batched decode cheaper per row than single-row GEMV.
AVX2 static void dot4_q4_1(int k, const void *vw, const void *const *vx, float *out) {
    const blk_q4_1 *w = vw;
    const act_q8_32 *x0 = vx[0], *x1 = vx[1], *x2 = vx[2], *x3 = vx[3];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m128 m0 = _mm_setzero_ps(), m1 = _mm_setzero_ps(), m2 = _mm_setzero_ps(), m3 = _mm_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        __m256i q = unpack_nibbles(w[i].qs);
        __m128 dm = h2f_pair(&w[i].d);  // [d, m]
#define ROW(a, m, x) { \
        __m128 f = _mm_mul_ps(dm, _mm_castpd_ps(_mm_load_sd((const double *)&x[i].d))); \
        __m256i p = dot_us(q, _mm256_loadu_si256((const __m256i *)x[i].qs)); \
        a = _mm256_fmadd_ps(_mm256_broadcastss_ps(f), _mm256_cvtepi32_ps(p), a); \
        m = _mm_add_ps(m, f); }
        ROW(a0, m0, x0) ROW(a1, m1, x1) ROW(a2, m2, x2) ROW(a3, m3, x3)
#undef ROW
    }
    out[0] = hsum_ps(a0) + _mm_cvtss_f32(_mm_shuffle_ps(m0, m0, 1));
    out[1] = hsum_ps(a1) + _mm_cvtss_f32(_mm_shuffle_ps(m1, m1, 1));
    out[2] = hsum_ps(a2) + _mm_cvtss_f32(_mm_shuffle_ps(m2, m2, 1));
    out[3] = hsum_ps(a3) + _mm_cvtss_f32(_mm_shuffle_ps(m3, m3, 1));
}

AVX2 static void dot4_q8_0(int k, const void *vw, const void *const *vx, float *out) {
    const blk_q8_0 *w = vw;
    const act_q8_32 *x0 = vx[0], *x1 = vx[1], *x2 = vx[2], *x3 = vx[3];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        __m256i q = _mm256_loadu_si256((const __m256i *)w[i].qs);
        __m256i aq = _mm256_sign_epi8(q, q);
        float d = h2f(&w[i].d);
#define ROW(a, x) { \
        __m256i p = dot_us(aq, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x[i].qs), q)); \
        a = _mm256_fmadd_ps(_mm256_set1_ps(d * x[i].d), _mm256_cvtepi32_ps(p), a); }
        ROW(a0, x0) ROW(a1, x1) ROW(a2, x2) ROW(a3, x3)
#undef ROW
    }
    out[0] = hsum_ps(a0); out[1] = hsum_ps(a1); out[2] = hsum_ps(a2); out[3] = hsum_ps(a3);
}

tern_dot4_fn tern_dot4_avx2(int type) {
    switch (type) {
    case TERN_Q4_1: return dot4_q4_1;
    case TERN_Q8_0: return dot4_q8_0;
    default: return 0;
    }
}
#else
tern_dot4_fn tern_dot4_avx2(int type) { (void)type; return 0; }
#endif
