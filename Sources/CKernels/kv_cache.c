// Rows of the paged KV cache in f32, f16 or q8_0 (see TERN_KV_* in ckernels.h): written once
// per token and layer, read back as floats by attention a head at a time (AVX2/F16C where the
// CPU has it; the F16C conversions round to nearest even as the scalar ones do, so every CPU
// stores the same bytes and reads the same floats).
#include "avx2.h"
#include <math.h>

size_t tern_kv_row_bytes(int dtype, int n) {
    switch (dtype) {
    case TERN_KV_F16: return (size_t)n * 2;
    case TERN_KV_Q8_0: return (size_t)(n / 32) * sizeof(blk_q8_0);
    default: return (size_t)n * 4;
    }
}

// x (n floats, n a multiple of 32) → n / 32 blocks: d = max|x| / 127 kept as a half, qs the
// nearest integers of x / d (ties to even, as lrintf).
static void store_q8_0(const float *x, blk_q8_0 *y, int n) {
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(xb[i]));
        float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        y[b].d = tern_fp32_to_fp16(d);
        for (int i = 0; i < 32; i++) {
            long q = lrintf(xb[i] * id);
            y[b].qs[i] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    }
}

#if defined(__x86_64__)
AVX2 static void store_f16_avx2(const float *x, uint16_t *h, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) h[i] = tern_fp32_to_fp16(x[i]);
}
#endif

void tern_kv_store(int dtype, const float *x, void *dst, int n) {
    switch (dtype) {
    case TERN_KV_F16:
#if defined(__x86_64__)
        if (tern_using_avx2()) {
            store_f16_avx2(x, dst, n);
            break;
        }
#endif
        for (int i = 0; i < n; i++) ((uint16_t *)dst)[i] = tern_fp32_to_fp16(x[i]);
        break;
    case TERN_KV_Q8_0: store_q8_0(x, (blk_q8_0 *)dst, n); break;
    default: memcpy(dst, x, (size_t)n * 4);
    }
}

static void load_plain(int dtype, const void *row, int off, float *out, int n) {
    if (dtype == TERN_KV_F16) {
        const uint16_t *h = (const uint16_t *)row + off;
        for (int i = 0; i < n; i++) out[i] = f16(h[i]);
    } else {
        const blk_q8_0 *b = (const blk_q8_0 *)row + off / 32;
        for (int i = 0; i < n; i++) out[i] = f16(b[i / 32].d) * (float)b[i / 32].qs[i % 32];
    }
}

#if defined(__x86_64__)
AVX2 static void load_avx2(int dtype, const void *row, int off, float *out, int n) {
    if (dtype == TERN_KV_F16) {
        const uint16_t *h = (const uint16_t *)row + off;
        for (int i = 0; i < n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
        return;
    }
    const blk_q8_0 *b = (const blk_q8_0 *)row + off / 32;
    for (int j = 0; j < n / 32; j++) {
        __m256 d = _mm256_set1_ps(f16(b[j].d));
        for (int i = 0; i < 32; i += 8) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b[j].qs + i)));
            _mm256_storeu_ps(out + 32 * j + i, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
        }
    }
}
#endif

void tern_kv_load(int dtype, const void *row, int off, float *out, int n) {
    if (dtype == TERN_KV_F32) {
        memcpy(out, (const float *)row + off, (size_t)n * 4);
        return;
    }
#if defined(__x86_64__)
    if (tern_using_avx2() && n % 8 == 0) {
        load_avx2(dtype, row, off, out, n);
        return;
    }
#endif
    load_plain(dtype, row, off, out, n);
}
