// Softmax and the reductions over a row of logits the sampler and log-probabilities use
// (argmax, the sum of exponentials, the exponentials of the candidates above a floor), with
// AVX2 variants chosen at run time.
#include "avx2.h"
#include <math.h>

#if defined(__x86_64__)
AVX2 static int32_t argmax_avx2(const float *x, int n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m);  // a NaN in x keeps m
    float best = hmax_ps(m);
    for (; i < n; i++) best = x[i] > best ? x[i] : best;
    __m256 b = _mm256_set1_ps(best);
    for (i = 0; i + 8 <= n; i += 8) {
        int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), b, _CMP_EQ_OQ));
        if (hit) return i + __builtin_ctz(hit);
    }
    for (; i < n; i++) if (x[i] == best) return i;
    return 0;  // every value NaN or -inf
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
    return count;
}

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
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

// Index of the largest value, the lowest among equals (NaNs are never the largest).
int32_t tern_argmax(const float *x, int n) {
#if defined(__x86_64__)
    if (tern_using_avx2()) return argmax_avx2(x, n);
#endif
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best] || (x[best] != x[best] && x[i] == x[i])) best = i;
    return best;
}

// The AVX2 variants take the whole vectors (the first n / 8 * 8 values), the loops the rest.
double tern_sum_exp(const float *x, int n, float max) {
    double sum = 0;
    int i = 0;
#if defined(__x86_64__)
    if (tern_using_avx2()) {
        i = n / 8 * 8;
        sum = sum_exp_avx2(x, i, max);
    }
#endif
    for (; i < n; i++) sum += exp((double)(x[i] - max));
    return sum;
}

int tern_exp_candidates(const float *x, int n, float max, float inv_t, float floor, int32_t *ids, float *p) {
    int count = 0, i = 0;
#if defined(__x86_64__)
    if (tern_using_avx2()) {
        i = n / 8 * 8;
        count = exp_candidates_avx2(x, i, max, inv_t, floor, ids, p);
    }
#endif
    for (; i < n; i++) if (x[i] >= floor) { ids[count] = i; p[count++] = expf((x[i] - max) * inv_t); }
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

#if defined(__x86_64__)
// The largest of x (n a positive multiple of 8).
AVX2 static float max_avx2(const float *x, int n) {
    __m256 m = _mm256_loadu_ps(x);
    for (int i = 8; i < n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    return hmax_ps(m);
}

// x = e^(x - max) in place (n a multiple of 8); returns their sum.
AVX2 static float exp_sum_avx2(float *x, int n, float max) {
    __m256 s = _mm256_setzero_ps(), mv = _mm256_set1_ps(max);
    for (int i = 0; i < n; i += 8) {
        __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(x + i, e);
        s = _mm256_add_ps(s, e);
    }
    return hsum_ps(s);
}
#endif

void tern_softmax_fast(float *x, int n) {
    if (n <= 0) return;
    int v = 0;  // values [0, v) take the AVX2 exponential, the rest expf
    float m = x[0], sum = 0;
#if defined(__x86_64__)
    if (tern_using_avx2() && n >= 8) {
        v = n / 8 * 8;
        m = max_avx2(x, v);
    }
#endif
    for (int j = v; j < n; j++) m = x[j] > m ? x[j] : m;
#if defined(__x86_64__)
    if (v > 0) sum = exp_sum_avx2(x, v, m);
#endif
    for (int j = v; j < n; j++) { x[j] = expf(x[j] - m); sum += x[j]; }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++) x[j] *= inv;
}
