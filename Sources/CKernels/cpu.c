#if defined(__linux__)
#include <malloc.h>
#endif
#include "quants.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

float tern_fp16_table[65536];
static atomic_int initialized = 0;
static int simd_allowed = 1;
static int have_avx2 = 0;
static int have_avx512 = 0;

static int cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

// AVX-512 F/BW/DQ/VL plus `extra` (a feature name for __builtin_cpu_supports).
#if defined(__x86_64__)
#define HAS_AVX512(extra)                                                                                              \
    (__builtin_cpu_init(), __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")                    \
                               && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")            \
                               && __builtin_cpu_supports(extra))
#else
#define HAS_AVX512(extra) 0
#endif
int tern_cpu_has_avx512(void) { return HAS_AVX512("avx512cd"); }
static int cpu_has_avx512_vnni(void) { return HAS_AVX512("avx512vnni"); }

// IEEE half → single, exact for every input including subnormals, infinities and NaNs
// (whose bits are kept: a cast would set the quiet bit of signaling NaNs).
float tern_fp16_to_fp32(uint16_t h) {
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    float f;
    if (exp == 0) {
        f = (float)mant * 0x1p-24f;  // zero or subnormal: mant · 2^-24, exact
    } else {
        uint32_t bits = (exp == 31 ? 0x7F800000u : (exp + 127 - 15) << 23) | mant << 13;
        memcpy(&f, &bits, 4);
    }
    return h & 0x8000 ? -f : f;
}

uint16_t tern_fp32_to_fp16(float f) {
    _Float16 h = (_Float16)f;
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}

__attribute__((constructor)) void tern_init(void) {
    if (atomic_load(&initialized)) return;
    for (uint32_t i = 0; i < 65536; i++) tern_fp16_table[i] = tern_fp16_to_fp32((uint16_t)i);
    have_avx2 = cpu_has_avx2_fma();
    // TERN_NO_AVX512=1 keeps the AVX2 kernels (for comparisons).
    const char *off = getenv("TERN_NO_AVX512");
    have_avx512 = have_avx2 && cpu_has_avx512_vnni() && !(off && off[0] == '1');
    atomic_store(&initialized, 1);
}

int tern_using_avx2(void) { return have_avx2 && simd_allowed; }
int tern_using_avx512(void) { return have_avx512 && simd_allowed; }
void tern_set_simd(int enabled) { simd_allowed = enabled; }

void tern_release_free_heap(void) {
#if defined(__linux__)
    malloc_trim(0);
#endif
}

int tern_act_format(int type) {
    switch (type) {
    case TERN_Q4_0: case TERN_Q5_0: case TERN_Q8_0: return tern_packs(type) ? TERN_ACT_Q8_32X : TERN_ACT_Q8_32;
    case TERN_Q4_1: case TERN_Q5_1: case TERN_IQ4_NL: return TERN_ACT_Q8_32;
    case TERN_Q2_K: case TERN_Q3_K: case TERN_Q4_K: case TERN_Q5_K: case TERN_Q6_K: case TERN_IQ4_XS: return TERN_ACT_Q8_256;
    default: return TERN_ACT_F32;
    }
}

size_t tern_act_row_bytes(int fmt, int k) {
    switch (fmt) {
    case TERN_ACT_Q8_32: return (size_t)(k / 32) * sizeof(act_q8_32);
    case TERN_ACT_Q8_256: return (size_t)(k / 256) * sizeof(act_q8_256);
    case TERN_ACT_Q8_32X: return (size_t)(k / 32) * sizeof(act_q8_32x);
    default: return (size_t)k * sizeof(float);
    }
}

static tern_dot_fn pick_dot(int type) {
    if (tern_using_avx2()) {
        tern_dot_fn f = tern_dot_avx2(type);
        if (f) return f;
    }
    return tern_dot_scalar(type);
}

float tern_vec_dot(int type, int k, const void *w, const void *x) {
    if (tern_packs(type)) {
        float y = NAN;
        tern_matmul_packing(type, w, 0, k, 0, 1, x, 0, 1, &y, 1);
        return y;
    }
    tern_dot_fn f = pick_dot(type);
    return f ? f(k, w, x) : NAN;
}

void tern_matmul_rows(int type, const void *w, size_t row_bytes, int k, int r0, int r1,
                      const void *x, size_t x_stride, int nvec, float *y, int ldy) {
    if (tern_packs(type)) {
        tern_matmul_packing(type, w, row_bytes, k, r0, r1, x, x_stride, nvec, y, ldy);
        return;
    }
    if (tern_matmul_float(type, w, row_bytes, k, r0, r1, x, x_stride, nvec, y, ldy)) return;
    tern_dot_fn f = pick_dot(type);
    if (!f) return;
    tern_dot4_fn f4 = tern_using_avx2() ? tern_dot4_avx2(type) : 0;
    const uint8_t *wb = w, *xb = x;
    // Tiles of 16 weight rows against 4 activation rows at a time, so both stay in L1 while
    // every pair is computed (each pair's arithmetic is the same in any order).
    enum { TILE = 16 };
    for (int rt = r0; rt < r1; rt += TILE) {
        int re = rt + TILE < r1 ? rt + TILE : r1;
        int v = 0;
        for (; f4 && v + 4 <= nvec; v += 4) {
            const void *xs[4];
            for (int j = 0; j < 4; j++) xs[j] = xb + (size_t)(v + j) * x_stride;
            for (int r = rt; r < re; r++) {
                float o[4];
                f4(k, wb + (size_t)r * row_bytes, xs, o);
                for (int j = 0; j < 4; j++) y[(size_t)(v + j) * ldy + r] = o[j];
            }
        }
        for (; v < nvec; v++) {
            for (int r = rt; r < re; r++) y[(size_t)v * ldy + r] = f(k, wb + (size_t)r * row_bytes, xb + (size_t)v * x_stride);
        }
    }
}
