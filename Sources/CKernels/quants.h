// Internal: block layouts of GGML's quantized types (facts of the GGUF format) and of
// Tern's own activation blocks, plus helpers shared by the kernel files.
#pragma once
#include "ckernels.h"
#include <string.h>

typedef struct { uint16_t d; uint8_t qs[16]; } blk_q4_0;                              // 18 bytes
typedef struct { uint16_t d, m; uint8_t qs[16]; } blk_q4_1;                           // 20
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_0;               // 22
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_1;            // 24
typedef struct { uint16_t d; int8_t qs[32]; } blk_q8_0;                               // 34
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } blk_q4_K;   // 144
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } blk_q5_K; // 176
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } blk_q6_K;       // 210

_Static_assert(sizeof(blk_q4_0) == 18, "q4_0"); _Static_assert(sizeof(blk_q4_1) == 20, "q4_1");
_Static_assert(sizeof(blk_q5_0) == 22, "q5_0"); _Static_assert(sizeof(blk_q5_1) == 24, "q5_1");
_Static_assert(sizeof(blk_q8_0) == 34, "q8_0"); _Static_assert(sizeof(blk_q4_K) == 144, "q4_K");
_Static_assert(sizeof(blk_q5_K) == 176, "q5_K"); _Static_assert(sizeof(blk_q6_K) == 210, "q6_K");

// Activation blocks (Tern's layout): 32 int8 with scale d and s = d * sum(qs).
typedef struct { float d; float s; int8_t qs[32]; } act_q8_32;                        // 40
// One act_q8_32 block for packed Q5_0/Q8_0 weights: the bytes, d, and c = -128 · Σ qs.
typedef struct { int8_t qs[32]; float d; int32_t c; } act_q8_32x;                     // 40
// 256 int8 with scale d and sums of each 16-element group (for K-quant minimums).
typedef struct { float d; int16_t bsums[16]; int8_t qs[256]; } act_q8_256;            // 292

extern float tern_fp16_table[65536];
static inline float f16(uint16_t h) { return tern_fp16_table[h]; }
static inline float bf16(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }

// 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block.
static inline void kquant_scale_min(int j, const uint8_t *s, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

typedef float (*tern_dot_fn)(int k, const void *w, const void *x);
// Portable reference dot products (dot_scalar.c) and AVX2 ones (dot_avx2.c; NULL if absent).
tern_dot_fn tern_dot_scalar(int type);
tern_dot_fn tern_dot_avx2(int type);
int tern_cpu_has_avx2_fma(void);
// Four activation rows at once against one weight row (AVX2 only; NULL where absent).
typedef void (*tern_dot4_fn)(int k, const void *w, const void *const *x, float *out);
tern_dot4_fn tern_dot4_avx2(int type);
int tern_cpu_has_avx512_vnni(void);
// Tiles of packed-type rows packed on the way (for rows not packed ahead), then the packed kernel.
void tern_matmul_packing(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                         int nvec, float *y, int ldy);
// AVX2 dequantization; -1 for types it does not cover (the portable code then runs).
int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n);
#if defined(__x86_64__)
// What the AVX-512 VNNI kernels are compiled for (chosen at run time), and how far ahead in
// the weight stream the packed kernels prefetch (bytes): the hardware prefetchers alone left
// a 178 MB LM head about 30% slower at 16 rows (Intel host).
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c")))
enum { PREFETCH = 4096 };
#endif
// One group of 16 packed rows (nb blocks at p) against n activation rows (n fixed per
// function): outputs y[r * ldy + i] for the lanes i set in mask.
typedef void (*tern_group_fn)(const uint8_t *p, int nb, const void *const *x, float *y, int ldy, uint16_t mask);
tern_group_fn tern_i8_group_fn(int n);  // Q5_0 and Q8_0 (packed_avx512.c)
// Packed Q4_1, Q4_K and Q6_K (packed_q4_1_avx512.c, …): bytes per group and block, packing,
// kernels for n rows (1, 2, 4, 8 or 16).
size_t tern_q4_1_group_block_bytes(void);
void tern_pack_group_q4_1(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
tern_group_fn tern_q4_1_group_fn(int n);
size_t tern_q4_K_group_block_bytes(void);
void tern_pack_group_q4_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
tern_group_fn tern_q4_K_group_fn(int n);
size_t tern_q6_K_group_block_bytes(void);
void tern_pack_group_q6_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
tern_group_fn tern_q6_K_group_fn(int n);
// The kernels of a packed type for 1, 2, 4, 8 and 16 activation rows (constant counts, so
// each copy keeps its accumulators in registers) from rows(p, nb, x, n, y, ldy, mask), and
// tern_<name>_group_fn picking one. For files compiled with the AVX512 target macro.
#define TERN_GROUP_N(name, rows, act, n)                                                                           \
    AVX512 static void name##_group_##n(const uint8_t *p, int nb, const void *const *x, float *y, int ldy,         \
                                        uint16_t mask) {                                                           \
        rows(p, nb, (const act *const *)x, n, y, ldy, mask);                                                       \
    }
#define TERN_GROUP_FNS(name, rows, act)                                                                            \
    TERN_GROUP_N(name, rows, act, 1)                                                                               \
    TERN_GROUP_N(name, rows, act, 2)                                                                               \
    TERN_GROUP_N(name, rows, act, 4)                                                                               \
    TERN_GROUP_N(name, rows, act, 8)                                                                               \
    TERN_GROUP_N(name, rows, act, 16)                                                                              \
    tern_group_fn tern_##name##_group_fn(int n) {                                                                  \
        return n >= 16 ? name##_group_16 : n >= 8 ? name##_group_8 : n >= 4 ? name##_group_4                       \
             : n >= 2 ? name##_group_2 : name##_group_1;                                                           \
    }
