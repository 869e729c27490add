// Matmul of float weights (F32, F16, BF16) against F32 activations in register tiles: up to
// six weight rows times four activation rows (AVX-512) or three times three (AVX2), so each
// converted weight vector serves every activation row of the tile and each activation vector
// every weight row, with one accumulator per pair. Every (weight row, activation row) pair
// gets the same arithmetic whatever the tile around it: acc = fma(w, x, acc) over the row's
// full vectors (16 lanes on AVX-512, 8 on AVX2) in order, the lanes' sum by a fixed tree, then
// the tail elements added one by one in order. So a row's result never depends on how many
// rows its batch or prompt chunk had (the reproducibility guarantee; before, float weights
// took sgemm for long chunks), and the one-row dot (tern_dot_float) is the 1 × 1 tile.
#include "avx2.h"
#include <math.h>

#if defined(__x86_64__)
// Weight elements i..i+n-1 of a row as floats (exact conversions: F16 by the F16C/AVX-512
// instruction, BF16 by a 16-bit shift).
AVX2 static inline __attribute__((always_inline)) __m256 load8(int type, const void *w, int i) {
    switch (type) {
    case TERN_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
    case TERN_BF16:
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i))), 16));
    default: return _mm256_loadu_ps((const float *)w + i);
    }
}
AVX512 static inline __attribute__((always_inline)) __m512 load16(int type, const void *w, int i) {
    switch (type) {
    case TERN_F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i)));
    case TERN_BF16:
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i))), 16));
    default: return _mm512_loadu_ps((const float *)w + i);
    }
}

static inline float elem(int type, const void *w, int i) {
    switch (type) {
    case TERN_F16: return f16(((const uint16_t *)w)[i]);
    case TERN_BF16: return bf16(((const uint16_t *)w)[i]);
    default: return ((const float *)w)[i];
    }
}

// y[v * ldy + r] = sum[r * nx + v] plus the tail elements [full, k) of the pair (w[r], x[v]),
// added one by one in order (out of line: inlined into the tiles, it kept the compiler from
// holding their accumulators in registers).
__attribute__((noinline)) static void finish(int type, int full, int k, const void *const *w, const float *const *x, int nw,
                                             int nx, const float *sum, float *y, int ldy) {
    for (int r = 0; r < nw; r++)
        for (int v = 0; v < nx; v++) {
            float s = sum[r * nx + v];
            for (int i = full; i < k; i++) s += elem(type, w[r], i) * x[v][i];
            y[(size_t)v * ldy + r] = s;
        }
}

// One function per (type, tile shape): constant nw, nx keep the accumulators in registers.
// y[v * ldy + r] = the pair (w[r], x[v]).
typedef void (*tile_fn)(int k, const void *const *w, const float *const *x, float *y, int ldy);

// The sum of the 16 lanes: the two halves added, then hsum_ps.
AVX512 static inline float hsum16(__m512 v) {
    return hsum_ps(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
}

// The tile body for one instruction set: its target attribute, vector type, lanes, zero,
// weight load, activation load, FMA and lanes' sum.
#define TILE(attr, vec, lanes, zero, loadw, loadx, fma, hsum, name, type, nw, nx)                                  \
    attr static void name##_##nw##x##nx(int k, const void *const *w, const float *const *x, float *y, int ldy) {   \
        vec acc[nw][nx];                                                                                           \
        for (int r = 0; r < nw; r++)                                                                               \
            for (int v = 0; v < nx; v++) acc[r][v] = zero();                                                       \
        int i = 0;                                                                                                 \
        for (; i + lanes <= k; i += lanes) {                                                                       \
            vec wv[nw];                                                                                            \
            for (int r = 0; r < nw; r++) wv[r] = loadw(type, w[r], i);                                             \
            for (int v = 0; v < nx; v++) {                                                                         \
                vec a = loadx(x[v] + i);                                                                           \
                for (int r = 0; r < nw; r++) acc[r][v] = fma(wv[r], a, acc[r][v]);                                 \
            }                                                                                                      \
        }                                                                                                          \
        float sum[nw][nx];                                                                                         \
        for (int r = 0; r < nw; r++)                                                                               \
            for (int v = 0; v < nx; v++) sum[r][v] = hsum(acc[r][v]);                                              \
        finish(type, i, k, w, x, nw, nx, &sum[0][0], y, ldy);                                                      \
    }
#define TILE_AVX2(name, type, nw, nx)                                                                              \
    TILE(AVX2, __m256, 8, _mm256_setzero_ps, load8, _mm256_loadu_ps, _mm256_fmadd_ps, hsum_ps, name, type, nw, nx)
#define TILE_AVX512(name, type, nw, nx)                                                                            \
    TILE(AVX512, __m512, 16, _mm512_setzero_ps, load16, _mm512_loadu_ps, _mm512_fmadd_ps, hsum16, name, type, nw, nx)

// Tables [nw - 1][nx - 1]: AVX2 up to 3 × 3 (9 of 16 registers accumulate; 4 × 3 spilled and
// ran at half the speed), AVX-512 up to 6 × 4 (24 of 32). On one Zen 5 core, F16 weights,
// k 2048, 8192 × 256 outputs: 185-205 GFLOPS on AVX-512, 110 on AVX2 (OpenBLAS sgemm on the
// same matrix as F32: 113-120).
#define ROW_AVX2(name, type, nw) TILE_AVX2(name, type, nw, 1) TILE_AVX2(name, type, nw, 2) TILE_AVX2(name, type, nw, 3)
#define TABLE_AVX2(name, type)                                                                                     \
    ROW_AVX2(name, type, 1) ROW_AVX2(name, type, 2) ROW_AVX2(name, type, 3)                                        \
    static const tile_fn name##_tiles[6][4] = {{name##_1x1, name##_1x2, name##_1x3}, {name##_2x1, name##_2x2, name##_2x3}, \
                                               {name##_3x1, name##_3x2, name##_3x3}};
#define ROW_AVX512(name, type, nw)                                                                                 \
    TILE_AVX512(name, type, nw, 1) TILE_AVX512(name, type, nw, 2) TILE_AVX512(name, type, nw, 3) TILE_AVX512(name, type, nw, 4)
#define ENTRY_AVX512(name, nw) {name##_##nw##x1, name##_##nw##x2, name##_##nw##x3, name##_##nw##x4}
#define TABLE_AVX512(name, type)                                                                                   \
    ROW_AVX512(name, type, 1) ROW_AVX512(name, type, 2) ROW_AVX512(name, type, 3) ROW_AVX512(name, type, 4)        \
    ROW_AVX512(name, type, 5) ROW_AVX512(name, type, 6)                                                            \
    static const tile_fn name##_tiles[6][4] = {ENTRY_AVX512(name, 1), ENTRY_AVX512(name, 2), ENTRY_AVX512(name, 3),  \
                                               ENTRY_AVX512(name, 4), ENTRY_AVX512(name, 5), ENTRY_AVX512(name, 6)};
TABLE_AVX2(f32_avx2, TERN_F32)
TABLE_AVX2(f16_avx2, TERN_F16)
TABLE_AVX2(bf16_avx2, TERN_BF16)
TABLE_AVX512(f32_avx512, TERN_F32)
TABLE_AVX512(f16_avx512, TERN_F16)
TABLE_AVX512(bf16_avx512, TERN_BF16)

// The tiles for `type` on the kernels in use, with the largest weight and activation rows a
// tile takes.
static const tile_fn (*tiles_of(int type, int *mw, int *mx))[4] {
    int wide = tern_using_avx512();
    *mw = wide ? 6 : 3;
    *mx = wide ? 4 : 3;
    if (!tern_using_avx2()) return 0;
    switch (type) {
    case TERN_F32: return wide ? f32_avx512_tiles : f32_avx2_tiles;
    case TERN_F16: return wide ? f16_avx512_tiles : f16_avx2_tiles;
    case TERN_BF16: return wide ? bf16_avx512_tiles : bf16_avx2_tiles;
    default: return 0;
    }
}

// Weight rows a pass: about 256 KB of them, so they stay in L2 while each group of activation
// rows (in L1) meets all of them; activations are read once per pass.
static int weight_block_rows(size_t row_bytes, int mw) {
    int n = (int)((256u << 10) / (row_bytes ? row_bytes : 1));
    return n < mw ? mw : n / mw * mw;
}

int tern_matmul_float(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                      int nvec, float *y, int ldy) {
    int mw, mx;
    const tile_fn (*tiles)[4] = tiles_of(type, &mw, &mx);
    if (!tiles) return 0;
    const uint8_t *wb = w, *xb = x;
    int step = weight_block_rows(row_bytes, mw);
    for (int b0 = r0; b0 < r1; b0 += step) {
        int b1 = b0 + step < r1 ? b0 + step : r1;
        for (int v = 0; v < nvec; v += mx) {
            int nx = v + mx <= nvec ? mx : nvec - v;
            const float *xs[4];
            for (int j = 0; j < nx; j++) xs[j] = (const float *)(xb + (size_t)(v + j) * x_stride);
            for (int r = b0; r < b1; r += mw) {
                int nw = r + mw <= b1 ? mw : b1 - r;
                const void *rows[6];
                for (int j = 0; j < nw; j++) rows[j] = wb + (size_t)(r + j) * row_bytes;
                tiles[nw - 1][nx - 1](k, rows, xs, y + (size_t)v * ldy + r, ldy);
            }
        }
    }
    return 1;
}

float tern_dot_float(int type, int k, const void *w, const void *x) {
    float y = NAN;
    const float *xs = x;
    tern_matmul_float(type, w, 0, k, 0, 1, xs, 0, 1, &y, 1);
    return y;
}
#else
int tern_matmul_float(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                      int nvec, float *y, int ldy) {
    (void)type; (void)w; (void)row_bytes; (void)k; (void)r0; (void)r1; (void)x; (void)x_stride; (void)nvec; (void)y; (void)ldy;
    return 0;
}
float tern_dot_float(int type, int k, const void *w, const void *x) { (void)type; (void)k; (void)w; (void)x; return NAN; }
#endif
