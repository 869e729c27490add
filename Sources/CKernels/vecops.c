// Elementwise kernels and attention. Reductions and axpy have AVX2 variants chosen at run
// time; the rest are plain loops the compiler vectorizes for the baseline target.
#include "quants.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))
AVX2 static float dot_f32_avx2(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    __m256 v = _mm256_add_ps(s0, s1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}
AVX2 static void axpy_avx2(float *y, const float *x, float a, int n) {
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}
#endif

static float dot_f32_plain(const float *a, const float *b, int n) {
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

float tern_dot_f32(const float *a, const float *b, int n) {
#if defined(__x86_64__)
    if (tern_using_avx2()) return dot_f32_avx2(a, b, n);
#endif
    return dot_f32_plain(a, b, n);
}

void tern_axpy(float *y, const float *x, float a, int n) {
#if defined(__x86_64__)
    if (tern_using_avx2()) { axpy_avx2(y, x, a, n); return; }
#endif
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

void tern_rmsnorm(const float *x, const float *weight, float *out, int n, float eps) {
    // Sum of squares in double, as llama.cpp does: int8 activation rounding downstream
    // amplifies last-bit differences, so this is kept identical rather than fast.
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)(x[i] * x[i]);
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    if (weight) for (int i = 0; i < n; i++) out[i] = x[i] * scale * weight[i];
    else for (int i = 0; i < n; i++) out[i] = x[i] * scale;
}

void tern_layernorm(const float *x, const float *weight, const float *bias, float *out, int n, float eps) {
    double mean = 0;
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; i++) { double d = x[i] - mean; var += d * d; }
    var /= n;
    float scale = (float)(1.0 / sqrt(var + eps));
    for (int i = 0; i < n; i++) {
        float v = (x[i] - (float)mean) * scale;
        if (weight) v *= weight[i];
        if (bias) v += bias[i];
        out[i] = v;
    }
}

void tern_rope(float *x, int nheads, int head_dim, int rot_dim, const float *cosv, const float *sinv, int neox) {
    int half = rot_dim / 2;
    for (int h = 0; h < nheads; h++) {
        float *v = x + (size_t)h * head_dim;
        for (int i = 0; i < half; i++) {
            int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * cosv[i] - x1 * sinv[i];
            v[b] = x0 * sinv[i] + x1 * cosv[i];
        }
    }
}

void tern_swiglu(float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

// GELU, tanh approximation: 0.5 x (1 + tanh(u)) with u = √(2/π) (x + 0.044715 x³),
// computed as x / (1 + e^(-2u)), the same function through the cheaper exp.
static inline float gelu_tanh(float x) {
    const float c = 0.7978845608028654f;  // sqrt(2 / pi)
    float u = c * (x + 0.044715f * x * x * x);
    return x / (1.0f + expf(-2.0f * u));
}

void tern_geglu(float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) gate[i] = gelu_tanh(gate[i]) * up[i];
}

void tern_gelu(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = gelu_tanh(x[i]);
}

// Index of the largest value, the lowest among equals (NaNs are never the largest).
#if defined(__x86_64__)
AVX2 static int32_t argmax_avx2(const float *x, int n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m);  // a NaN in x keeps m
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float best = _mm_cvtss_f32(h);
    for (; i < n; i++) best = x[i] > best ? x[i] : best;
    __m256 b = _mm256_set1_ps(best);
    for (i = 0; i + 8 <= n; i += 8) {
        int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), b, _CMP_EQ_OQ));
        if (hit) return i + __builtin_ctz(hit);
    }
    for (; i < n; i++) if (x[i] == best) return i;
    return 0;  // every value NaN or -inf
}
#endif

int32_t tern_argmax(const float *x, int n) {
#if defined(__x86_64__)
    if (tern_using_avx2()) return argmax_avx2(x, n);
#endif
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best] || (x[best] != x[best] && x[i] == x[i])) best = i;
    return best;
}

#if defined(__x86_64__)
// e^x for x <= 0 (clamped at -87, where it is below FLT_MIN anyway): x = k·ln2 + r with
// |r| <= ln2/2 (ln2 split in two for an exact k·ln2), e^r by its Taylor series to r^6
// (truncation below 1.3e-7 relative), 2^k through the exponent bits.
AVX2 static inline __m256 exp_nonpositive_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

AVX2 static int exp_candidates_avx2(const float *x, int n, float max, float inv_t, float floor, int32_t *ids, float *p) {
    __m256 f = _mm256_set1_ps(floor), m = _mm256_set1_ps(max), s = _mm256_set1_ps(inv_t);
    float e[8];
    int count = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        unsigned hit = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, f, _CMP_GE_OQ));
        if (!hit) continue;
        _mm256_storeu_ps(e, exp_nonpositive_avx2(_mm256_mul_ps(_mm256_sub_ps(v, m), s)));
        while (hit) {
            int j = __builtin_ctz(hit);
            ids[count] = i + j;
            p[count++] = e[j];
            hit &= hit - 1;
        }
    }
    for (; i < n; i++) if (x[i] >= floor) { ids[count] = i; p[count++] = expf((x[i] - max) * inv_t); }
    return count;
}
#endif

#if defined(__x86_64__)
AVX2 static double sum_exp_avx2(const float *x, int n, float max) {
    __m256 m = _mm256_set1_ps(max);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
    double sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i < n; i++) sum += exp((double)(x[i] - max));
    return sum;
}
#endif

double tern_sum_exp(const float *x, int n, float max) {
#if defined(__x86_64__)
    if (tern_using_avx2()) return sum_exp_avx2(x, n, max);
#endif
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)(x[i] - max));
    return sum;
}

int tern_exp_candidates(const float *x, int n, float max, float inv_t, float floor, int32_t *ids, float *p) {
#if defined(__x86_64__)
    if (tern_using_avx2()) return exp_candidates_avx2(x, n, max, inv_t, floor, ids, p);
#endif
    int count = 0;
    for (int i = 0; i < n; i++) if (x[i] >= floor) { ids[count] = i; p[count++] = expf((x[i] - max) * inv_t); }
    return count;
}

void tern_softmax(float *x, int n) {
    if (n <= 0) return;
    float m = x[0];
    for (int i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    float sum = 0;
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void tern_attention_head(const float *q, int head_dim, const float *k_cache, const float *v_cache,
                         const int32_t *block_table, int block_size, int kv_stride, int kv_off,
                         int start, int end, float scale, float *scores, float *out) {
    tern_attention_group(q, head_dim, 1, head_dim, k_cache, v_cache, block_table, block_size, kv_stride, kv_off, start, end,
                         scale, scores, out, head_dim);
}

// Attention of the g query heads that share one KV head: each key and value row is read
// once for all g heads. q: g rows q_stride apart; out: g rows out_stride apart;
// scores: scratch of g * (end - start) floats.
static void attention_group_plain(const float *q, int q_stride, int g, int head_dim, const float *k_cache, const float *v_cache,
                                  const int32_t *block_table, int block_size, int kv_stride, int kv_off, int start, int end,
                                  float scale, float *scores, float *out, int out_stride) {
    int n = end - start;
    for (int p = start; p < end; p++) {
        size_t slot = (size_t)block_table[p / block_size] * block_size + p % block_size;
        const float *k = k_cache + slot * kv_stride + kv_off;
        for (int h = 0; h < g; h++) scores[h * n + p - start] = tern_dot_f32(q + (size_t)h * q_stride, k, head_dim) * scale;
    }
    for (int h = 0; h < g; h++) {
        tern_softmax(scores + h * n, n);
        for (int i = 0; i < head_dim; i++) out[(size_t)h * out_stride + i] = 0;
    }
    for (int p = start; p < end; p++) {
        size_t slot = (size_t)block_table[p / block_size] * block_size + p % block_size;
        const float *v = v_cache + slot * kv_stride + kv_off;
        for (int h = 0; h < g; h++) tern_axpy(out + (size_t)h * out_stride, v, scores[h * n + p - start], head_dim);
    }
}

#if defined(__x86_64__)
// Four horizontal sums at once: lanes 0..3 = sum(a), sum(b), sum(c), sum(d).
AVX2 static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

// The K or V row of position p (block table walked once per block, not divided per row).
#define KV_ROWS(cache, ...) \
    for (int p = start; p < end;) { \
        int j0 = p % block_size; \
        int run = block_size - j0 < end - p ? block_size - j0 : end - p; \
        const float *base = cache + ((size_t)block_table[p / block_size] * block_size + j0) * kv_stride + kv_off; \
        __VA_ARGS__ \
        p += run; \
    }

AVX2 static void attention_group_avx2(const float *q, int q_stride, int g, int head_dim, const float *k_cache, const float *v_cache,
                                      const int32_t *block_table, int block_size, int kv_stride, int kv_off, int start, int end,
                                      float scale, float *scores, float *out, int out_stride) {
    int n = end - start;
    // Scores: q·k for every head of the group, four key rows at a time.
    KV_ROWS(k_cache, {
        int t = 0;
        for (; t + 4 <= run; t += 4) {
            const float *k0 = base + (size_t)t * kv_stride, *k1 = k0 + kv_stride, *k2 = k1 + kv_stride, *k3 = k2 + kv_stride;
            for (int h = 0; h < g; h++) {
                const float *qh = q + (size_t)h * q_stride;
                __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
                for (int i = 0; i < head_dim; i += 8) {
                    __m256 qv = _mm256_loadu_ps(qh + i);
                    s0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + i), s0);
                    s1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k1 + i), s1);
                    s2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k2 + i), s2);
                    s3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k3 + i), s3);
                }
                _mm_storeu_ps(scores + h * n + p - start + t, _mm_mul_ps(hsum4(s0, s1, s2, s3), _mm_set1_ps(scale)));
            }
        }
        for (; t < run; t++) {
            const float *k = base + (size_t)t * kv_stride;
            for (int h = 0; h < g; h++) scores[h * n + p - start + t] = tern_dot_f32(q + (size_t)h * q_stride, k, head_dim) * scale;
        }
    })
    for (int h = 0; h < g; h++) tern_softmax(scores + h * n, n);
    // Weighted values: per head, 64 output floats held in eight registers across all rows.
    for (int h = 0; h < g; h++) {
        float *o = out + (size_t)h * out_stride;
        const float *w = scores + h * n;
        int c0 = 0;
        for (; c0 + 64 <= head_dim; c0 += 64) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            KV_ROWS(v_cache, {
                for (int t = 0; t < run; t++) {
                    const float *v = base + (size_t)t * kv_stride + c0;
                    __m256 s = _mm256_set1_ps(w[p - start + t]);
                    a0 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v), a0);
                    a1 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 8), a1);
                    a2 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 16), a2);
                    a3 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 24), a3);
                    a4 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 32), a4);
                    a5 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 40), a5);
                    a6 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 48), a6);
                    a7 = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 56), a7);
                }
            })
            _mm256_storeu_ps(o + c0, a0); _mm256_storeu_ps(o + c0 + 8, a1);
            _mm256_storeu_ps(o + c0 + 16, a2); _mm256_storeu_ps(o + c0 + 24, a3);
            _mm256_storeu_ps(o + c0 + 32, a4); _mm256_storeu_ps(o + c0 + 40, a5);
            _mm256_storeu_ps(o + c0 + 48, a6); _mm256_storeu_ps(o + c0 + 56, a7);
        }
        if (c0 < head_dim) {  // the last (head_dim % 64) floats, accumulated in memory
            for (int i = c0; i < head_dim; i++) o[i] = 0;
            KV_ROWS(v_cache, {
                for (int t = 0; t < run; t++) {
                    const float *v = base + (size_t)t * kv_stride;
                    __m256 s = _mm256_set1_ps(w[p - start + t]);
                    for (int i = c0; i < head_dim; i += 8) _mm256_storeu_ps(o + i, _mm256_fmadd_ps(s, _mm256_loadu_ps(v + i), _mm256_loadu_ps(o + i)));
                }
            })
        }
    }
}
#undef KV_ROWS
#endif

void tern_attention_group(const float *q, int q_stride, int g, int head_dim, const float *k_cache, const float *v_cache,
                          const int32_t *block_table, int block_size, int kv_stride, int kv_off, int start, int end,
                          float scale, float *scores, float *out, int out_stride) {
    if (end <= start) {
        for (int h = 0; h < g; h++) for (int i = 0; i < head_dim; i++) out[(size_t)h * out_stride + i] = 0;
        return;
    }
#if defined(__x86_64__)
    if (tern_using_avx2() && head_dim % 8 == 0) {
        attention_group_avx2(q, q_stride, g, head_dim, k_cache, v_cache, block_table, block_size, kv_stride, kv_off, start, end,
                             scale, scores, out, out_stride);
        return;
    }
#endif
    attention_group_plain(q, q_stride, g, head_dim, k_cache, v_cache, block_table, block_size, kv_stride, kv_off, start, end,
                          scale, scores, out, out_stride);
}
