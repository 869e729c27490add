// Quantization of activation rows into int8 blocks, so that dot products with quantized
// weights run on integers. The arithmetic follows llama.cpp's reference (scales from the
// largest magnitude, round-half-even, 32-element scales kept at half precision), so that
// logits agree with it as closely as integer sums allow.
#include "avx2.h"
#include <math.h>

static inline float round_to_half(float f) { return tern_fp16_table[tern_fp32_to_fp16(f)]; }

#if defined(__x86_64__)
// Four vectors of 8 int32 (each in -128..127) as 32 bytes at dst, in order.
AVX2 static inline void store_bytes(int8_t *dst, __m256i q0, __m256i q1, __m256i q2, __m256i q3) {
    __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
    _mm256_storeu_si256((__m256i *)dst, _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// The same quantization with AVX2/F16C: identical bytes (cvtps rounds to nearest even as
// lrintf does; F16C rounds to half the way the _Float16 cast does).
AVX2 static void quantize_q8_32_avx2(const float *x, act_q8_32 *y, int k) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int i = 0; i < k / 32; i++, x += 32) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        float amax = hmax_ps(m);
        float d = amax / 127.0f, id = amax != 0 ? 127.0f / amax : 0.0f;
        __m256 s = _mm256_set1_ps(id);
        __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, s)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, s));
        __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, s)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, s));
        int sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(q0, q1), _mm256_add_epi32(q2, q3)));
        store_bytes(y[i].qs, q0, q1, q2, q3);
        y[i].d = _cvtsh_ss(_cvtss_sh(d, 0));
        y[i].s = _cvtsh_ss(_cvtss_sh(d * (float)sum, 0));
    }
}
#endif

static void quantize_q8_32(const float *x, act_q8_32 *y, int k) {
#if defined(__x86_64__)
    if (tern_using_avx2()) { quantize_q8_32_avx2(x, y, k); return; }
#endif
    for (int i = 0; i < k / 32; i++, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = amax != 0 ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)lrintf(x[j] * id);
            y[i].qs[j] = (int8_t)q;
            sum += q;
        }
        y[i].d = round_to_half(d);
        y[i].s = round_to_half(d * (float)sum);
    }
}

#if defined(__x86_64__)
// The same Q8_256 quantization with AVX2: identical bytes (the first element of largest
// magnitude sets the sign, cvtps rounds half to even as lrintf does).
AVX2 static void quantize_q8_256_avx2(const float *x, act_q8_256 *y, int k) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i top = _mm256_set1_epi32(127);
    for (int i = 0; i < k / 256; i++, x += 256) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < 256; j += 8) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), m);
        float amax = hmax_ps(m);
        if (amax == 0) {
            memset(&y[i], 0, sizeof(act_q8_256));
            continue;
        }
        float max = 0;
        for (int j = 0; j < 256; j++) if (fabsf(x[j]) == amax) { max = x[j]; break; }
        float iscale = -127.0f / max;
        __m256 s = _mm256_set1_ps(iscale);
        for (int j = 0; j < 256; j += 32) {
            __m256i q[4];
            for (int t = 0; t < 4; t++) q[t] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * t), s)), top);
            store_bytes(y[i].qs + j, q[0], q[1], q[2], q[3]);
        }
        for (int g = 0; g < 16; g++) {
            __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(y[i].qs + 16 * g)));
            y[i].bsums[g] = (int16_t)hsum_epi32(_mm256_madd_epi16(v, _mm256_set1_epi16(1)));
        }
        y[i].d = 1 / iscale;
    }
}
#endif

static void quantize_q8_256(const float *x, act_q8_256 *y, int k) {
#if defined(__x86_64__)
    if (tern_using_avx2()) { quantize_q8_256_avx2(x, y, k); return; }
#endif
    for (int i = 0; i < k / 256; i++, x += 256) {
        float amax = 0, max = 0;  // largest magnitude, and that value with its sign
        for (int j = 0; j < 256; j++) {
            float a = fabsf(x[j]);
            if (a > amax) { amax = a; max = x[j]; }
        }
        if (amax == 0) {
            memset(&y[i], 0, sizeof(act_q8_256));
            continue;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            int v = (int)lrintf(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int j = 0; j < 16; j++) s += y[i].qs[g * 16 + j];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = 1 / iscale;
    }
}

// Q8_32 blocks with -128 · Σ qs (act_q8_32x).
static void quantize_q8_32x(const float *x, act_q8_32x *y, int k) {
    for (int i = 0; i < k / 32; i++) {
        act_q8_32 b;
        quantize_q8_32(x + 32 * i, &b, 32);
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += b.qs[j];
        memcpy(y[i].qs, b.qs, 32);
        y[i].d = b.d;
        y[i].c = -128 * sum;
    }
}

void tern_quantize_act(int fmt, const float *x, void *dst, int k) {
    switch (fmt) {
    case TERN_ACT_Q8_32: quantize_q8_32(x, dst, k); break;
    case TERN_ACT_Q8_32X: quantize_q8_32x(x, dst, k); break;
    case TERN_ACT_Q8_256: quantize_q8_256(x, dst, k); break;
    default: memcpy(dst, x, (size_t)k * sizeof(float)); break;
    }
}

void tern_round_act(int fmt, const float *x, float *out, int k) {
    if (fmt == TERN_ACT_Q8_32 || fmt == TERN_ACT_Q8_32X) {  // the same values, packed or not
        act_q8_32 b;
        for (int i = 0; i < k / 32; i++) {
            quantize_q8_32(x + 32 * i, &b, 32);
            for (int j = 0; j < 32; j++) out[32 * i + j] = b.d * b.qs[j];
        }
    } else if (fmt == TERN_ACT_Q8_256) {
        act_q8_256 b;
        for (int i = 0; i < k / 256; i++) {
            quantize_q8_256(x + 256 * i, &b, 256);
            for (int j = 0; j < 256; j++) out[256 * i + j] = b.d * b.qs[j];
        }
    } else if (x != out) {
        memcpy(out, x, (size_t)k * sizeof(float));
    }
}

void tern_act_offset_deltas(const void *act, int k, float *delta) {
    const act_q8_32 *b = act;
    for (int i = 0; i < k / 32; i++) {
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += b[i].qs[j];
        delta[i] = b[i].s - b[i].d * (float)sum;
    }
}

void tern_extract_offsets(const void *w, size_t row_bytes, int k, int r0, int r1, float *out) {
    const uint8_t *wb = w;
    int nb = k / 32;
    size_t block = row_bytes / (size_t)nb;
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = wb + (size_t)r * row_bytes;
        for (int i = 0; i < nb; i++) {
            uint16_t m;
            memcpy(&m, row + (size_t)i * block + 2, 2);  // Q4_1/Q5_1 blocks: d, then m
            out[(size_t)(r - r0) * nb + i] = f16(m);
        }
    }
}
