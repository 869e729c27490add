// Attention over the paged KV store: the g query heads that share one KV head at once, with
// AVX2 variants (head_dim a multiple of 8) and AVX-512 ones (scores: a multiple of 16; values:
// of 64, the same bits as AVX2's) chosen at run time. The cache is walked in runs of
// consecutive positions inside one block (consecutive rows of memory); for an f16 or q8_0
// cache each run is first converted to floats on the stack, 16 rows at a time.
#include "avx2.h"

void tern_attention_head(const float *q, int head_dim, const float *k_cache, const float *v_cache,
                         const int32_t *block_table, int block_size, int kv_stride, int kv_off,
                         int start, int end, float scale, float *scores, float *out) {
    tern_attention_group(q, head_dim, 1, head_dim, k_cache, v_cache, block_table, block_size, kv_stride, kv_off, start, end,
                         scale, scores, out, head_dim);
}

#if defined(__x86_64__)
// Four horizontal sums at once: lanes 0..3 = sum(a), sum(b), sum(c), sum(d).
AVX2 static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

AVX2 static void scores_rows_avx2(const float *q, int q_stride, int g, int head_dim, const float *k, size_t stride, int run,
                                  float scale, float *scores, int n) {
    int t = 0;
    for (; t + 4 <= run; t += 4) {  // four key rows at a time
        const float *k0 = k + (size_t)t * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
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
            _mm_storeu_ps(scores + h * n + t, _mm_mul_ps(hsum4(s0, s1, s2, s3), _mm_set1_ps(scale)));
        }
    }
    for (; t < run; t++)
        for (int h = 0; h < g; h++) scores[h * n + t] = tern_dot_f32(q + (size_t)h * q_stride, k + (size_t)t * stride, head_dim) * scale;
}

// Per head, 64 output floats held in eight registers across the run's rows.
AVX2 static void values_rows_avx2(float *out, int out_stride, int g, int head_dim, const float *v, size_t stride, int run,
                                  const float *w, int n) {
    for (int h = 0; h < g; h++) {
        float *o = out + (size_t)h * out_stride;
        const float *wh = w + h * n;
        int c0 = 0;
        for (; c0 + 64 <= head_dim; c0 += 64) {
            __m256 acc[8];
            for (int u = 0; u < 8; u++) acc[u] = _mm256_loadu_ps(o + c0 + 8 * u);
            for (int t = 0; t < run; t++) {
                const float *vt = v + (size_t)t * stride + c0;
                __m256 s = _mm256_set1_ps(wh[t]);
                for (int u = 0; u < 8; u++) acc[u] = _mm256_fmadd_ps(s, _mm256_loadu_ps(vt + 8 * u), acc[u]);
            }
            for (int u = 0; u < 8; u++) _mm256_storeu_ps(o + c0 + 8 * u, acc[u]);
        }
        for (int t = 0; t < run && c0 < head_dim; t++) {  // the last (head_dim % 64) floats
            const float *vt = v + (size_t)t * stride;
            __m256 s = _mm256_set1_ps(wh[t]);
            for (int i = c0; i < head_dim; i += 8) _mm256_storeu_ps(o + i, _mm256_fmadd_ps(s, _mm256_loadu_ps(vt + i), _mm256_loadu_ps(o + i)));
        }
    }
}
#endif

#if defined(__x86_64__)
AVX512 static inline __m256 fold512(__m512 a) { return _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1)); }

// The scores of nk (4 or 8) consecutive key rows, `stride` floats apart, for one query head:
// nk FMA chains of 16 lanes, each folded and summed as scores_rows_avx2 sums its 8.
AVX512 static inline __attribute__((always_inline)) void score_keys_avx512(const float *qh, const float *kt, size_t stride,
                                                                            int head_dim, int nk, float scale, float *out) {
    __m512 s[8];
    for (int j = 0; j < nk; j++) s[j] = _mm512_setzero_ps();
    for (int i = 0; i < head_dim; i += 16) {
        __m512 qv = _mm512_loadu_ps(qh + i);
        for (int j = 0; j < nk; j++) s[j] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(kt + (size_t)j * stride + i), s[j]);
    }
    for (int j = 0; j < nk; j += 4)
        _mm_storeu_ps(out + j, _mm_mul_ps(hsum4(fold512(s[j]), fold512(s[j + 1]), fold512(s[j + 2]), fold512(s[j + 3])), _mm_set1_ps(scale)));
}

// scores_rows_avx2 on 16 lanes (head_dim a multiple of 16), eight key rows at a time (eight
// FMA chains); a key's score is the same whether it falls in a group of eight or four.
AVX512 static void scores_rows_avx512(const float *q, int q_stride, int g, int head_dim, const float *k, size_t stride, int run,
                                       float scale, float *scores, int n) {
    int t = 0;
    for (; t + 8 <= run; t += 8)
        for (int h = 0; h < g; h++) score_keys_avx512(q + (size_t)h * q_stride, k + (size_t)t * stride, stride, head_dim, 8, scale, scores + h * n + t);
    for (; t + 4 <= run; t += 4)
        for (int h = 0; h < g; h++) score_keys_avx512(q + (size_t)h * q_stride, k + (size_t)t * stride, stride, head_dim, 4, scale, scores + h * n + t);
    for (; t < run; t++)
        for (int h = 0; h < g; h++) scores[h * n + t] = tern_dot_f32(q + (size_t)h * q_stride, k + (size_t)t * stride, head_dim) * scale;
}

// values_rows_avx2 on 16 lanes: GH heads (≤ 4) share each loaded value row, 64 output floats
// per head in four registers. Every output lane is the same FMA sequence over the run as in
// values_rows_avx2, so both give the same bits.
AVX512 static inline __attribute__((always_inline)) void values_heads_avx512(float *out, int out_stride, int gh, int head_dim,
                                                                              const float *v, size_t stride, int run,
                                                                              const float *w, int n) {
    for (int c0 = 0; c0 < head_dim; c0 += 64) {
        __m512 acc[4][4];
        for (int h = 0; h < gh; h++)
            for (int u = 0; u < 4; u++) acc[h][u] = _mm512_loadu_ps(out + (size_t)h * out_stride + c0 + 16 * u);
        for (int t = 0; t < run; t++) {
            const float *vt = v + (size_t)t * stride + c0;
            __m512 vv[4];
            for (int u = 0; u < 4; u++) vv[u] = _mm512_loadu_ps(vt + 16 * u);
            for (int h = 0; h < gh; h++) {
                __m512 s = _mm512_set1_ps(w[h * n + t]);
                for (int u = 0; u < 4; u++) acc[h][u] = _mm512_fmadd_ps(s, vv[u], acc[h][u]);
            }
        }
        for (int h = 0; h < gh; h++)
            for (int u = 0; u < 4; u++) _mm512_storeu_ps(out + (size_t)h * out_stride + c0 + 16 * u, acc[h][u]);
    }
}

AVX512 static void values_rows_avx512(float *out, int out_stride, int g, int head_dim, const float *v, size_t stride, int run,
                                       const float *w, int n) {
    for (int h = 0; h < g; h += 4) {
        float *o = out + (size_t)h * out_stride;
        const float *wh = w + h * n;
        switch (g - h) {
        case 1: values_heads_avx512(o, out_stride, 1, head_dim, v, stride, run, wh, n); break;
        case 2: values_heads_avx512(o, out_stride, 2, head_dim, v, stride, run, wh, n); break;
        case 3: values_heads_avx512(o, out_stride, 3, head_dim, v, stride, run, wh, n); break;
        default: values_heads_avx512(o, out_stride, 4, head_dim, v, stride, run, wh, n); break;
        }
    }
}
#endif

// scores[h * n + t] = scale · q_h · k_t for the run's key rows, `stride` floats apart.
static void scores_rows(const float *q, int q_stride, int g, int head_dim, const float *k, size_t stride, int run, float scale,
                        float *scores, int n) {
#if defined(__x86_64__)
    if (tern_using_avx512() && head_dim % 16 == 0) {
        scores_rows_avx512(q, q_stride, g, head_dim, k, stride, run, scale, scores, n);
        return;
    }
    if (tern_using_avx2() && head_dim % 8 == 0) {
        scores_rows_avx2(q, q_stride, g, head_dim, k, stride, run, scale, scores, n);
        return;
    }
#endif
    for (int t = 0; t < run; t++)
        for (int h = 0; h < g; h++) scores[h * n + t] = tern_dot_f32(q + (size_t)h * q_stride, k + (size_t)t * stride, head_dim) * scale;
}

// out_h += Σ_t w[h * n + t] · v_t over the run's value rows, `stride` floats apart.
static void values_rows(float *out, int out_stride, int g, int head_dim, const float *v, size_t stride, int run, const float *w, int n) {
#if defined(__x86_64__)
    if (tern_using_avx512() && head_dim % 64 == 0) {
        values_rows_avx512(out, out_stride, g, head_dim, v, stride, run, w, n);
        return;
    }
    if (tern_using_avx2() && head_dim % 8 == 0) {
        values_rows_avx2(out, out_stride, g, head_dim, v, stride, run, w, n);
        return;
    }
#endif
    for (int t = 0; t < run; t++)
        for (int h = 0; h < g; h++) tern_axpy(out + (size_t)h * out_stride, v + (size_t)t * stride, w[h * n + t], head_dim);
}

// The run of positions from p: at most `cap`, inside one block. A function of the positions
// only (not of the block table), so a row's arithmetic is the same wherever its K/V live.
static inline int run_length(int p, int end, int block_size, int cap) {
    int run = block_size - p % block_size;
    if (run > end - p) run = end - p;
    if (run > cap) run = cap;
    return run;
}

// The run of positions from p (see run_length); its first row to *slot.
static inline int next_run(int p, int end, int block_size, int cap, const int32_t *block_table, size_t *slot) {
    *slot = (size_t)block_table[p / block_size] * block_size + p % block_size;
    return run_length(p, end, block_size, cap);
}

static void softmax_and_clear(float *scores, int n, int g, float *out, int out_stride, int head_dim, int fast) {
    for (int h = 0; h < g; h++) {
        if (fast) tern_softmax_fast(scores + h * n, n);
        else tern_softmax(scores + h * n, n);
        for (int i = 0; i < head_dim; i++) out[(size_t)h * out_stride + i] = 0;
    }
}

void tern_attention_group(const float *q, int q_stride, int g, int head_dim, const float *k_cache, const float *v_cache,
                          const int32_t *block_table, int block_size, int kv_stride, int kv_off, int start, int end,
                          float scale, float *scores, float *out, int out_stride) {
    int n = end - start, run;
    size_t slot;
    for (int p = start; p < end; p += run) {
        run = next_run(p, end, block_size, block_size, block_table, &slot);
        scores_rows(q, q_stride, g, head_dim, k_cache + slot * kv_stride + kv_off, kv_stride, run, scale, scores + p - start, n);
    }
    softmax_and_clear(scores, n, g, out, out_stride, head_dim, 0);
    for (int p = start; p < end; p += run) {
        run = next_run(p, end, block_size, block_size, block_table, &slot);
        values_rows(out, out_stride, g, head_dim, v_cache + slot * kv_stride + kv_off, kv_stride, run, scores + p - start, n);
    }
}

enum { KV_TILE = 16, KV_AHEAD = 64 };  // rows converted to floats at once; positions prefetched ahead

// One KV head's rows in a paged cache: block b's block_size rows of seg bytes start at
// base + b * block_stride.
typedef struct {
    const uint8_t *base;
    size_t block_stride, seg;
    const int32_t *table;
    int block_size;
} kv_head;

static inline const uint8_t *kv_row(const kv_head *h, int p) {
    return h->base + (size_t)h->table[p / h->block_size] * h->block_stride + (size_t)(p % h->block_size) * h->seg;
}

// Prefetches the rows of positions [*ahead, min(until, end)), moving *ahead (blocks are
// scattered, so the hardware prefetchers lose the thread at every block boundary).
static inline void prefetch_rows(const kv_head *h, int *ahead, int until, int end) {
    for (; *ahead < until && *ahead < end; (*ahead)++) {
        const uint8_t *r = kv_row(h, *ahead);
        for (size_t b = 0; b < h->seg; b += 64) __builtin_prefetch(r + b);
    }
}

// The run's rows as floats: f32 rows in place, others converted into `tile`.
static inline const float *rows_f32(int dtype, const kv_head *h, int p, int run, int head_dim, float *tile) {
    const uint8_t *r = kv_row(h, p);
    if (dtype == TERN_KV_F32) return (const float *)r;
    tern_kv_load(dtype, r, 0, tile, run * head_dim);  // a run's rows are contiguous
    return tile;
}

void tern_attention_group_kv(int dtype, const float *q, int q_stride, int g, int head_dim, const void *k_head,
                             const void *v_head, size_t block_stride, const int32_t *block_table, int block_size,
                             int start, int end, float scale, float *scores, float *out, int out_stride) {
    tern_attention_rows_kv(dtype, q, q_stride, 0, 1, g, head_dim, k_head, v_head, block_stride, block_table, block_size, start,
                           end, 0, scale, scores, out, out_stride, 0);
}

// Row r's part of a run of positions [p, p + run): none past its end.
static inline int row_run(int p, int run, int end) { return end - p < run ? end - p : run; }

void tern_attention_rows_kv(int dtype, const float *q, int q_stride, int q_row_stride, int m, int g, int head_dim,
                            const void *k_head, const void *v_head, size_t block_stride, const int32_t *block_table,
                            int block_size, int start, int end, int causal, float scale, float *scores, float *out,
                            int out_stride, int out_row_stride) {
    float tile[KV_TILE * head_dim];  // (KV_TILE, head_dim)
    size_t seg = tern_kv_row_bytes(dtype, head_dim);
    kv_head k = {k_head, block_stride, seg, block_table, block_size}, v = {v_head, block_stride, seg, block_table, block_size};
    int last = causal ? end + m - 1 : end, width = last - start, run, ahead = start;  // every row's scores: (m, g, width)
    size_t slot;
    // Row r: queries q + r·q_row_stride + h·q_stride, positions [start, end_r), scores at s_r
    // with head stride n_r = end_r - start — a one-row call's layout, so its runs and sums.
#define ROW_END(r) (causal ? end + (r) : end)
#define ROW_SCORES(r) (scores + (size_t)(r) * g * width)
    for (int p = start; p < last; p += run) {
        prefetch_rows(&k, &ahead, p + KV_AHEAD, last);
        run = next_run(p, last, block_size, KV_TILE, block_table, &slot);
        const float *rows = rows_f32(dtype, &k, p, run, head_dim, tile);
        for (int r = 0; r < m; r++)
            if (ROW_END(r) > p)
                scores_rows(q + (size_t)r * q_row_stride, q_stride, g, head_dim, rows, head_dim, row_run(p, run, ROW_END(r)), scale,
                            ROW_SCORES(r) + p - start, ROW_END(r) - start);
    }
    ahead = start;
    prefetch_rows(&v, &ahead, start + KV_AHEAD, last);
    for (int r = 0; r < m; r++)
        softmax_and_clear(ROW_SCORES(r), ROW_END(r) - start, g, out + (size_t)r * out_row_stride, out_stride, head_dim,
                          dtype != TERN_KV_F32);
    for (int p = start; p < last; p += run) {
        prefetch_rows(&v, &ahead, p + KV_AHEAD, last);
        run = next_run(p, last, block_size, KV_TILE, block_table, &slot);
        const float *rows = rows_f32(dtype, &v, p, run, head_dim, tile);
        for (int r = 0; r < m; r++)
            if (ROW_END(r) > p)
                values_rows(out + (size_t)r * out_row_stride, out_stride, g, head_dim, rows, head_dim, row_run(p, run, ROW_END(r)),
                            ROW_SCORES(r) + p - start, ROW_END(r) - start);
    }
#undef ROW_END
#undef ROW_SCORES
}

void tern_attention_group_flat(const float *q, int q_stride, int g, int head_dim, const float *keys, const float *values,
                               int block_size, int start, int end, float scale, int fast_softmax, float *scores, float *out,
                               int out_stride) {
    int n = end - start, run;
    for (int p = start; p < end; p += run) {
        run = run_length(p, end, block_size, KV_TILE);
        scores_rows(q, q_stride, g, head_dim, keys + (size_t)p * head_dim, head_dim, run, scale, scores + p - start, n);
    }
    softmax_and_clear(scores, n, g, out, out_stride, head_dim, fast_softmax);
    for (int p = start; p < end; p += run) {
        run = run_length(p, end, block_size, KV_TILE);
        values_rows(out, out_stride, g, head_dim, values + (size_t)p * head_dim, head_dim, run, scores + p - start, n);
    }
}
