// Attention over the paged KV store: the g query heads that share one KV head at once, with
// an AVX2 variant (head_dim a multiple of 8) chosen at run time.
#include "avx2.h"

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
            __m256 acc[8];
            for (int u = 0; u < 8; u++) acc[u] = _mm256_setzero_ps();
            KV_ROWS(v_cache, {
                for (int t = 0; t < run; t++) {
                    const float *v = base + (size_t)t * kv_stride + c0;
                    __m256 s = _mm256_set1_ps(w[p - start + t]);
                    for (int u = 0; u < 8; u++) acc[u] = _mm256_fmadd_ps(s, _mm256_loadu_ps(v + 8 * u), acc[u]);
                }
            })
            for (int u = 0; u < 8; u++) _mm256_storeu_ps(o + c0 + 8 * u, acc[u]);
        }
        if (c0 < head_dim) {  // the last (head_dim % 64) floats, accumulated in memory
            for (int i = c0; i < head_dim; i++) o[i] = 0;
            KV_ROWS(v_cache, {
                for (int t = 0; t < run; t++) {
                    const float *v = base + (size_t)t * kv_stride;
                    __m256 s = _mm256_set1_ps(w[p - start + t]);
                    for (int i = c0; i < head_dim; i += 8)
                        _mm256_storeu_ps(o + i, _mm256_fmadd_ps(s, _mm256_loadu_ps(v + i), _mm256_loadu_ps(o + i)));
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
