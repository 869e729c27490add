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

// Element j (0..31) of a 32-element block of nibbles qs (low nibbles are elements 0..15,
// high nibbles 16..31) with fifth bits qh (bit j; 0 for the 4-bit types), unsigned.
static inline int block32_value(const uint8_t *qs, uint32_t qh, int j) {
    return (j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4) | (int)((qh >> j) & 1) << 4;
}
// The fifth bits of a Q5_0/Q5_1 block.
static inline uint32_t block32_high(const uint8_t *qh) {
    uint32_t v;
    memcpy(&v, qh, 4);
    return v;
}

// The 6-bit value (0..63) of element e (0..255) of a Q6_K block.
static inline int q6_K_value(const blk_q6_K *b, int e) {
    int half = e / 128, quarter = (e % 128) / 32, l = e % 32;
    int low = (b->ql[64 * half + l + 32 * (quarter & 1)] >> (4 * (quarter >> 1))) & 0xF;
    int high = (b->qh[32 * half + l] >> (2 * quarter)) & 3;
    return low | high << 4;
}

typedef float (*tern_dot_fn)(int k, const void *w, const void *x);
// The switch cases of tern_dot_scalar: the types it has a dot_<type> for.
#define TERN_DOT_CASES                                                                                             \
    case TERN_F32: return dot_f32;                                                                                 \
    case TERN_F16: return dot_f16;                                                                                 \
    case TERN_Q4_0: return dot_q4_0;                                                                               \
    case TERN_Q4_1: return dot_q4_1;                                                                               \
    case TERN_Q5_0: return dot_q5_0;                                                                               \
    case TERN_Q5_1: return dot_q5_1;                                                                               \
    case TERN_Q8_0: return dot_q8_0;                                                                               \
    case TERN_Q4_K: return dot_q4_K;                                                                               \
    case TERN_Q5_K: return dot_q5_K;                                                                               \
    case TERN_Q6_K: return dot_q6_K
// dot_<type> of Q4_K or Q5_K from the file's kquant_4_5 (qh NULL for Q4_K); attr its target.
#define TERN_DOT_K45(attr, type, qh)                                                                               \
    attr static float dot_##type(int k, const void *vw, const void *vx) {                                          \
        const blk_##type *w = vw; const act_q8_256 *x = vx;                                                        \
        float sum = 0;                                                                                             \
        for (int i = 0; i < k / 256; i++) sum += kquant_4_5(w[i].scales, w[i].qs, qh, &x[i], f16(w[i].d), f16(w[i].dmin)); \
        return sum;                                                                                                \
    }
// Portable reference dot products (dot_scalar.c) and AVX2 ones (dot_avx2.c; NULL if absent).
tern_dot_fn tern_dot_scalar(int type);
tern_dot_fn tern_dot_avx2(int type);
// Four activation rows at once against one weight row (AVX2 only; NULL where absent).
typedef void (*tern_dot4_fn)(int k, const void *w, const void *const *x, float *out);
tern_dot4_fn tern_dot4_avx2(int type);
// Tiles of packed-type rows packed on the way (for rows not packed ahead), then the packed kernel.
void tern_matmul_packing(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                         int nvec, float *y, int ldy);
// The one-pair dot of float_tiles.c's tiles (what tern_dot_avx2 gives for F32, F16 and BF16).
float tern_dot_float(int type, int k, const void *w, const void *x);
// AVX2 dequantization; -1 for types it does not cover (the portable code then runs).
int tern_dequantize_avx2(int type, const void *src, float *dst, int64_t n);
#if defined(__x86_64__)
// What the AVX-512 VNNI kernels are compiled for (chosen at run time), and how far ahead in
// the weight stream the packed kernels prefetch (bytes): the hardware prefetchers alone left
// a 178 MB LM head about 30% slower at 16 rows (Intel host).
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c")))
enum { PREFETCH = 4096 };
#include <immintrin.h>
// s plus, for j < n, vpdpbusd of w[j] (four unsigned bytes of each of 16 rows) with bytes
// 4j..4j+3 of a broadcast: one stretch of 4n activation bytes against 16 packed rows.
AVX512 static inline __attribute__((always_inline)) __m512i dpbusd_rows(__m512i s, const __m512i *w, const int8_t *a, int n) {
    for (int j = 0; j < n; j++) {
        int32_t four;
        memcpy(&four, a + 4 * j, 4);
        s = _mm512_dpbusd_epi32(s, w[j], _mm512_set1_epi32(four));
    }
    return s;
}
// The 256 bytes at p (64-byte aligned) as nibbles: w[t] the low nibbles of bytes 64t..64t+63,
// w[t + 4] their high nibbles.
AVX512 static inline __attribute__((always_inline)) void split_nibbles(const uint8_t *p, __m512i w[8]) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int t = 0; t < 4; t++) {
        __m512i q = _mm512_load_si512(p + 64 * t);
        w[t] = _mm512_and_si512(q, low);
        w[t + 4] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
    }
}
#endif
// One group of 16 packed rows (nb blocks at p) against n activation rows (n fixed per
// function): outputs y[r * ldy + i] for the lanes i set in mask.
typedef void (*tern_group_fn)(const uint8_t *p, int nb, const void *const *x, float *y, int ldy, uint16_t mask);
tern_group_fn tern_i8_group_fn(int n);  // Q5_0 and Q8_0 (packed_avx512.c)
// Packed Q4_0, Q4_1, Q4_K, Q5_K, Q6_K and IQ4_XS (layouts in packed_q4_1_avx512.c, …): bytes per group of 16 rows
// and block (multiples of 64, so every block stays aligned), packing, kernels for n rows (1,
// 2, 4, 8 or 16).
enum { Q4_1_GROUP_BLOCK = 256 + 32 + 32, Q4_K_GROUP_BLOCK = 8 * 256 + 128 + 128 + 64, Q6_K_GROUP_BLOCK = 2048 + 1024 + 256 + 64 };
enum { Q4_0_GROUP_PAIR = 2 * (256 + 32), Q5_K_GROUP_BLOCK = Q4_K_GROUP_BLOCK + 512 };  // Q4_0 blocks go in pairs
enum { IQ4_XS_GROUP_BLOCK = 2048 + 64 + 32 + 32 };
_Static_assert(Q4_1_GROUP_BLOCK % 64 == 0 && Q4_K_GROUP_BLOCK % 64 == 0 && Q6_K_GROUP_BLOCK % 64 == 0, "aligned blocks");
_Static_assert(Q4_0_GROUP_PAIR % 64 == 0 && Q5_K_GROUP_BLOCK % 64 == 0 && IQ4_XS_GROUP_BLOCK % 64 == 0, "aligned pairs and blocks");
size_t tern_q4_0_group_bytes(int nb);
void tern_pack_group_q4_0(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
void tern_unpack_q4_0(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_q4_0_group_fn(int n);
void tern_pack_group_q4_1(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
// Row i (< 16) of a packed group of nb blocks back into the file's blocks (the unpack of each type).
void tern_unpack_q4_1(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_q4_1_group_fn(int n);
void tern_pack_group_q4_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
void tern_unpack_q4_K(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_q4_K_group_fn(int n);
void tern_pack_group_q5_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
void tern_unpack_q5_K(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_q5_K_group_fn(int n);
void tern_pack_group_q6_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
void tern_unpack_q6_K(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_q6_K_group_fn(int n);
void tern_pack_group_iq4_xs(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst);
void tern_unpack_iq4_xs(const uint8_t *p, int nb, int i, uint8_t *row);
tern_group_fn tern_iq4_xs_group_fn(int n);
// The AVX2 kernels of the same layouts (packed_avx2.c), for n = 1 to 8 rows (NULL otherwise).
tern_group_fn tern_q4_0_group_fn_avx2(int n);
tern_group_fn tern_i8_group_fn_avx2(int n);
tern_group_fn tern_q4_K_group_fn_avx2(int n);
tern_group_fn tern_q5_K_group_fn_avx2(int n);
tern_group_fn tern_q4_1_group_fn_avx2(int n);
tern_group_fn tern_iq4_xs_group_fn_avx2(int n);
tern_group_fn tern_q6_K_group_fn_avx2(int n);
// The kernels of a packed type for 1 to 8 and 16 activation rows (constant counts, so each
// copy keeps its accumulators in registers) from rows(p, nb, x, n, y, ldy, mask), and
// tern_<name>_group_fn picking the one for exactly n (NULL for 9 to 15). Every count has
// its own copy so that a speculative step's 3 or 5 rows read and unpack the weights once,
// not as 2 + 1 or 4 + 1. For files compiled with the AVX512 target macro.
#define TERN_GROUP_N(name, rows, act, n)                                                                           \
    AVX512 static void name##_group_##n(const uint8_t *p, int nb, const void *const *x, float *y, int ldy,         \
                                        uint16_t mask) {                                                           \
        rows(p, nb, (const act *const *)x, n, y, ldy, mask);                                                       \
    }
#define TERN_GROUP_FNS(name, rows, act)                                                                            \
    TERN_GROUP_N(name, rows, act, 1)                                                                               \
    TERN_GROUP_N(name, rows, act, 2)                                                                               \
    TERN_GROUP_N(name, rows, act, 3)                                                                               \
    TERN_GROUP_N(name, rows, act, 4)                                                                               \
    TERN_GROUP_N(name, rows, act, 5)                                                                               \
    TERN_GROUP_N(name, rows, act, 6)                                                                               \
    TERN_GROUP_N(name, rows, act, 7)                                                                               \
    TERN_GROUP_N(name, rows, act, 8)                                                                               \
    TERN_GROUP_N(name, rows, act, 16)                                                                              \
    tern_group_fn tern_##name##_group_fn(int n) {                                                                  \
        static const tern_group_fn fns[] = {0,                                                                     \
            name##_group_1, name##_group_2, name##_group_3, name##_group_4,                                        \
            name##_group_5, name##_group_6, name##_group_7, name##_group_8};                                       \
        return n == 16 ? name##_group_16 : n >= 1 && n <= 8 ? fns[n] : 0;                                         \
    }
