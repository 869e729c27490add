// Elementwise kernels: dot and axpy (with AVX2 variants chosen at run time), norms, rotary
// embedding and gated activations (plain loops the compiler vectorizes for the baseline target).
#include "avx2.h"
#include <math.h>

#if defined(__x86_64__)
AVX2 static float dot_f32_avx2(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float r = hsum_ps(_mm256_add_ps(s0, s1));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}
AVX2 static void axpy_avx2(float *y, const float *x, float a, int n) {
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

AVX2 static uint64_t read_bytes_avx2(const uint8_t *p, size_t n) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        a = _mm256_xor_si256(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_xor_si256(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_xor_si256(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_xor_si256(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    __m256i x = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    uint64_t r = (uint64_t)_mm256_extract_epi64(x, 0) ^ (uint64_t)_mm256_extract_epi64(x, 1) ^
                 (uint64_t)_mm256_extract_epi64(x, 2) ^ (uint64_t)_mm256_extract_epi64(x, 3);
    for (; i < n; i++) r ^= p[i];
    return r;
}
#endif

uint64_t tern_read_bytes(const void *p, size_t n) {
#if defined(__x86_64__)
    if (tern_using_avx2() && ((uintptr_t)p & 31) == 0) return read_bytes_avx2(p, n);
#endif
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) r ^= ((const uint8_t *)p)[i];
    return r;
}

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

#if defined(__x86_64__)
// silu(g) = g·σ(g) with σ(g) = 1 / (1 + e^-g) for g ≥ 0, e^g / (1 + e^g) below (e^-|g| never
// overflows), through the AVX2 exponential (1.3e-7 relative); the tail takes expf.
AVX2 static int swiglu_avx2(float *gate, const float *up, int n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = exp_nonpositive_avx2(_mm256_or_ps(g, sign));  // e^-|g|
        __m256 num = _mm256_blendv_ps(one, e, g);                // g < 0: e, else 1
        __m256 s = _mm256_div_ps(num, _mm256_add_ps(one, e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_mul_ps(g, s), _mm256_loadu_ps(up + i)));
    }
    return i;
}
#endif

void tern_swiglu(float *gate, const float *up, int n) {
    int i = 0;
#if defined(__x86_64__)
    if (tern_using_avx2()) i = swiglu_avx2(gate, up, n);
#endif
    for (; i < n; i++) {
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
