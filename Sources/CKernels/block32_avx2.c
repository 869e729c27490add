// AVX2 matmul of Q4_0, Q5_0 and Q8_0 weights against Q8_32 activations in register tiles: up
// to four weight rows times one or two activation rows (decode), or two weight rows times up
// to four activation rows (batches), so each unpacked weight block serves every activation
// row of the tile and each activation block every weight row, with one accumulator per pair
// (independent FMA chains instead of one per row). Every (weight row, activation row) pair
// gets the same arithmetic whatever the tile around it: Σ over blocks, in order, of
// fma(dw·dx, Σ q·a, acc), then the lanes' sum; so a row's result never depends on its batch,
// and the one-row dots (tern_dot_avx2) are the 1×1 tile.
#include "avx2.h"

#if defined(__x86_64__)
// The tile's accumulators gain every block: acc[r][v] for weight rows w[r] (nw) and
// activation rows x[v] (nx). With next (decode), the nw rows from next on (the next tile's)
// are prefetched as fast as this tile's are read: the weight loads stalled on memory for
// most of the time without it (perf, Llama-3.2-1B shape Q4_0), each row a separate stream.
#define TILE_BODY(type)                                                                                            \
    AVX2 static inline __attribute__((always_inline)) void tile_##type(int nb, const blk_##type *const *w,         \
                                                                       const act_q8_32 *const *x, int nw, int nx,  \
                                                                       const char *next, __m256 acc[4][4]) {       \
        for (int i = 0; i < nb; i++) {                                                                             \
            __m256i q[4], aq[4];                                                                                   \
            __m256 dw[4];                                                                                          \
            for (int r = 0; r < nw; r++) {                                                                         \
                if (next) _mm_prefetch(next + ((size_t)i * nw + r) * sizeof(blk_##type), _MM_HINT_T0);             \
                q[r] = type##_bytes(&w[r][i]);                                                                     \
                aq[r] = _mm256_sign_epi8(q[r], q[r]);                                                              \
                dw[r] = _mm256_set1_ps(f16(w[r][i].d));                                                            \
            }                                                                                                      \
            for (int v = 0; v < nx; v++) {                                                                         \
                __m256i a = _mm256_loadu_si256((const __m256i *)x[v][i].qs);                                       \
                __m256 dx = _mm256_broadcast_ss(&x[v][i].d);                                                       \
                for (int r = 0; r < nw; r++) {                                                                     \
                    __m256i p = dot_us(aq[r], _mm256_sign_epi8(a, q[r]));                                          \
                    acc[r][v] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], dx), _mm256_cvtepi32_ps(p), acc[r][v]);       \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
    }
TILE_BODY(q4_0)
TILE_BODY(q5_0)
TILE_BODY(q8_0)

// One function per tile shape (constant nw, nx keep the accumulators in registers):
// y[v * ldy + r] = the lanes' sum of acc[r][v]. Tiles of three and four activation rows serve
// batches only and never prefetch: without the branch their accumulators spill less (1B-shape
// matrices on one Zen 5 core, 128 rows: Q8_0 86 → 101 GOPS, Q5_0 81 → 86, Q4_0 96 → 98).
typedef void (*tile_fn)(int nb, const void *const *w, const act_q8_32 *const *x, const char *next, float *y, int ldy);
#define TILE(type, nw, nx)                                                                                         \
    AVX2 static void type##_##nw##x##nx(int nb, const void *const *w, const act_q8_32 *const *x, const char *next,   \
                                        float *y, int ldy) {                                                       \
        __m256 acc[4][4];                                                                                          \
        for (int r = 0; r < nw; r++)                                                                               \
            for (int v = 0; v < nx; v++) acc[r][v] = _mm256_setzero_ps();                                          \
        tile_##type(nb, (const blk_##type *const *)w, x, nw, nx, nx > 2 ? 0 : next, acc);                                         \
        for (int r = 0; r < nw; r++)                                                                               \
            for (int v = 0; v < nx; v++) y[(size_t)v * ldy + r] = hsum_ps(acc[r][v]);                              \
    }
// Shapes up to 4 × 2 and 2 × 4 (at most 8 accumulators); [nw - 1][nx - 1], NULL elsewhere.
#define TILE_TABLE(type)                                                                                           \
    TILE(type, 1, 1) TILE(type, 1, 2) TILE(type, 1, 3) TILE(type, 1, 4) TILE(type, 2, 1) TILE(type, 2, 2)          \
    TILE(type, 2, 3) TILE(type, 2, 4) TILE(type, 3, 1) TILE(type, 3, 2) TILE(type, 4, 1) TILE(type, 4, 2)          \
    static const tile_fn type##_tiles[4][4] = {{type##_1x1, type##_1x2, type##_1x3, type##_1x4},                   \
                                               {type##_2x1, type##_2x2, type##_2x3, type##_2x4},                   \
                                               {type##_3x1, type##_3x2, 0, 0},                                     \
                                               {type##_4x1, type##_4x2, 0, 0}};
TILE_TABLE(q4_0)
TILE_TABLE(q5_0)
TILE_TABLE(q8_0)

static const tile_fn (*tiles_of(int type))[4] {
    switch (type) {
    case TERN_Q4_0: return q4_0_tiles;
    case TERN_Q5_0: return q5_0_tiles;
    case TERN_Q8_0: return q8_0_tiles;
    default: return 0;
    }
}

// Activation rows per pass over the weight rows: about 512 KB of them, so they stay in L2
// while each weight row pair meets all of them.
static int act_block_rows(size_t x_stride) { int n = (int)((512u << 10) / (x_stride ? x_stride : 1)); return n < 4 ? 4 : n / 4 * 4; }

// Activation rows [v0, v1) against weight rows [r0, r1), tiles of at most mw weight rows and
// mx activation rows, weight tiles outermost; ahead: prefetch each tile's successor.
static void pass(const tile_fn (*tiles)[4], const uint8_t *wb, size_t row_bytes, int nb, int r0, int r1, int mw, int mx,
                 int ahead, const uint8_t *xb, size_t x_stride, int v0, int v1, float *y, int ldy) {
    for (int r = r0; r < r1; r += mw) {
        int nw = r + mw <= r1 ? mw : r1 - r;
        const void *rows[4];
        for (int j = 0; j < nw; j++) rows[j] = wb + (size_t)(r + j) * row_bytes;
        for (int v = v0; v < v1; v += mx) {
            int nx = v + mx <= v1 ? mx : v1 - v;
            const act_q8_32 *xs[4];
            for (int j = 0; j < nx; j++) xs[j] = (const act_q8_32 *)(xb + (size_t)(v + j) * x_stride);
            const char *next = ahead ? (const char *)wb + (size_t)(r + nw) * row_bytes : 0;
            tiles[nw - 1][nx - 1](nb, rows, xs, next, y + (size_t)v * ldy + r, ldy);
        }
    }
}

int tern_matmul_block32_avx2(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x,
                             size_t x_stride, int nvec, float *y, int ldy) {
    const tile_fn (*tiles)[4] = tiles_of(type);
    if (!tern_using_avx2() || !tiles) return 0;
    int nb = k / 32;
    if (nvec <= 2) {  // decode: four weight rows a tile
        pass(tiles, w, row_bytes, nb, r0, r1, 4, 2, 1, x, x_stride, 0, nvec, y, ldy);
        return 1;
    }
    int step = act_block_rows(x_stride);
    for (int v0 = 0; v0 < nvec; v0 += step)
        pass(tiles, w, row_bytes, nb, r0, r1, 2, 4, 0, x, x_stride, v0, v0 + step < nvec ? v0 + step : nvec, y, ldy);
    return 1;
}

// The 1×1 tile: one pair's dot, with the arithmetic every tile gives it.
float tern_dot_block32_avx2(int type, int k, const void *w, const void *x) {
    const tile_fn (*tiles)[4] = tiles_of(type);
    if (!tiles) return 0;
    float y = 0;
    const act_q8_32 *xs[1] = {x};
    tiles[0][0](k / 32, &w, xs, 0, &y, 1);
    return y;
}
#else
int tern_matmul_block32_avx2(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x,
                             size_t x_stride, int nvec, float *y, int ldy) {
    (void)type; (void)w; (void)row_bytes; (void)k; (void)r0; (void)r1; (void)x; (void)x_stride; (void)nvec; (void)y; (void)ldy;
    return 0;
}
float tern_dot_block32_avx2(int type, int k, const void *w, const void *x) { (void)type; (void)k; (void)w; (void)x; return 0; }
#endif
