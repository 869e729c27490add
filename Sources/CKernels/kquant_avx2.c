// AVX2 matmul of Q4_K and Q6_K weights against Q8_256 activations in register tiles: two weight
// rows times up to four activation rows per pass, so each unpacked weight vector serves four
// activation rows and each activation vector two weight rows. A block's scales are decoded
// once per weight row and activation block into vectors the tile reads as memory operands.
// Every (weight row, activation row) pair gets the same arithmetic whatever the tile around
// it, so a row's result never depends on its batch; the one-row dots are the 1×1 tile.
#include "avx2.h"
#include <pthread.h>
#include <stdlib.h>

#if defined(__x86_64__)
// One weight block's scales as the tile uses them. Q4_K: s[j] = sub-block j's scale in every
// 16-bit lane, m = the minimums per 16-element group (lane g: min of sub-block g / 2). Q6_K:
// s[4n + t] = the scales of groups 8n + 2t (lanes 0..7) and 8n + 2t + 1 (8..15), m = 32 × the
// 16 group scales (Σ 32·sc·a is what the unsigned 6-bit values carry in excess).
typedef struct { __m256i s[8]; __m256i m; float d, dmin; float pad[6]; } kq_scales;  // 320 bytes

// Bytes 2j, 2j + 1 (16-bit lane j of a 128-bit half) in every 16-bit lane.
AVX2 static inline __m256i word_splat(__m256i v, int j) { return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)(2 * j | (2 * j + 1) << 8))); }

AVX2 static void decode_q4_K(const blk_q4_K *b, kq_scales *o) {
    uint32_t u[3];
    memcpy(u, b->scales, 12);
    // Sub-blocks 0..3 take 6 bits of bytes 0..3 (scales) and 4..7 (mins); 4..7 a nibble of
    // bytes 8..11 plus the top two bits of bytes 0..3 (scales) and 4..7 (mins).
    uint32_t sc_lo = u[0] & 0x3F3F3F3Fu, sc_hi = (u[2] & 0x0F0F0F0Fu) | ((u[0] >> 6) & 0x03030303u) << 4;
    uint32_t m_lo = u[1] & 0x3F3F3F3Fu, m_hi = ((u[2] >> 4) & 0x0F0F0F0Fu) | ((u[1] >> 6) & 0x03030303u) << 4;
    __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)sc_hi, (int)sc_lo)));
    for (int j = 0; j < 8; j++) o->s[j] = word_splat(sc, j);
    __m128i m = _mm_set_epi32(0, 0, (int)m_hi, (int)m_lo);
    o->m = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m));
    o->d = f16(b->d);
    o->dmin = f16(b->dmin);
}

AVX2 static void decode_q6_K(const blk_q6_K *b, kq_scales *o) {
    __m128i sc = _mm_loadu_si128((const __m128i *)b->scales);
    for (int s = 0; s < 8; s++) {
        // bytes 2s (×8) then 2s + 1 (×8), sign-extended
        __m128i pick = _mm_set_epi64x(0x0101010101010101LL * (2 * s + 1), 0x0101010101010101LL * (2 * s));
        o->s[s] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc, pick));
    }
    o->m = _mm256_slli_epi16(_mm256_cvtepi8_epi16(sc), 5);
    o->d = f16(b->d);
    o->dmin = 0;  // unused
}

// 32 activation bytes of row v, block i, at element offset e.
#define ACT(v, i, e) _mm256_loadu_si256((const __m256i *)(x[v][i].qs + (e)))

// The tile's float accumulators gain block i. Q4_K: d·dx·Σ(int sums) - dmin·dx·Σ(min terms);
// Q6_K (six): d·dx·(Σ(int sums) - Σ(32·sc·a)), the difference in integers.
AVX2 static inline __attribute__((always_inline)) void settle(const kq_scales *s, const act_q8_256 *x, __m256i sumi, __m256 *acc,
                                                               int six) {
    __m256i mn = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x->bsums), s->m);
    if (six) sumi = _mm256_sub_epi32(sumi, mn);
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(s->d * x->d), _mm256_cvtepi32_ps(sumi), *acc);
    if (!six) *acc = _mm256_fnmadd_ps(_mm256_set1_ps(s->dmin * x->d), _mm256_cvtepi32_ps(mn), *acc);
}

// The scales of block i of the tile's rows: decoded ahead (sc), or here into own (sc NULL:
// the one-pass form for few activation rows, which also prefetches the rows after the tile,
// nw blocks' worth per block, so the next tile's bytes are on their way).
#define BLOCK_SCALES(type, s, own, sc, w, nw, nb, i)                                                               \
    for (int r = 0; r < nw; r++) {                                                                                 \
        if (sc) { s[r] = &sc[r][i]; continue; }                                                                    \
        decode_##type(&w[r][i], &own[r]);                                                                          \
        s[r] = &own[r];                                                                                            \
        const char *next = (const char *)(w[nw - 1] + nb) + ((size_t)i * nw + r) * sizeof(blk_##type);             \
        for (size_t o = 0; o < sizeof(blk_##type); o += 64) _mm_prefetch(next + o, _MM_HINT_T0);                  \
    }

// Q4_K: nw weight rows (w[r], scales sc[r][i]) × nx activation rows, nb blocks, into acc[r][v].
AVX2 static inline __attribute__((always_inline)) void tile_q4_K(int nb, const blk_q4_K *const *w, const kq_scales *const *sc,
                                                                  const act_q8_256 *const *x, int nw, int nx, __m256 acc[2][4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int i = 0; i < nb; i++) {
        kq_scales own[2];
        const kq_scales *s[2];
        BLOCK_SCALES(q4_K, s, own, sc, w, nw, nb, i)
        __m256i sumi[2][4];
        for (int r = 0; r < nw; r++)
            for (int v = 0; v < nx; v++) sumi[r][v] = _mm256_setzero_si256();
        if (sc) {
            // Many activation rows (scales decoded ahead): one 32-element sub-block c at a time
            // (low nibbles of bytes 32(c/2).., then high), not unrolled, so the live vectors
            // (2 × 4 sums, 2 weights, an activation) fit the 16 registers (pp512 +14%).
#pragma clang loop unroll(disable)
            for (int c = 0; c < 8; c++) {
                __m256i q[2];
                for (int r = 0; r < nw; r++)
                    q[r] = _mm256_and_si256(_mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)(w[r][i].qs + 32 * (c >> 1))),
                                                             _mm_cvtsi32_si128(4 * (c & 1))), m4);
                for (int v = 0; v < nx; v++) {
                    __m256i a = ACT(v, i, 32 * c);
                    for (int r = 0; r < nw; r++)
                        sumi[r][v] = _mm256_add_epi32(sumi[r][v], _mm256_madd_epi16(_mm256_maddubs_epi16(q[r], a), s[r]->s[c]));
                }
            }
        } else {
            // Few rows (decode): unrolled, the loads of a block issued together (the rolled
            // form above cost decode ~30%). Integer sums, so the same result either way.
            for (int j = 0; j < 4; j++) {
                __m256i lo[2], hi[2];
                for (int r = 0; r < nw; r++) {
                    __m256i q = _mm256_loadu_si256((const __m256i *)(w[r][i].qs + 32 * j));
                    lo[r] = _mm256_and_si256(q, m4);
                    hi[r] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                }
                for (int v = 0; v < nx; v++) {
                    __m256i a1 = ACT(v, i, 64 * j), a2 = ACT(v, i, 64 * j + 32);
                    for (int r = 0; r < nw; r++) {
                        __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo[r], a1), s[r]->s[2 * j]);
                        __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi[r], a2), s[r]->s[2 * j + 1]);
                        sumi[r][v] = _mm256_add_epi32(sumi[r][v], _mm256_add_epi32(p1, p2));
                    }
                }
            }
        }
        for (int r = 0; r < nw; r++)
            for (int v = 0; v < nx; v++) settle(s[r], x[v] + i, sumi[r][v], &acc[r][v], 0);
    }
}

// 32 six-bit values (0..63) of a Q6_K block: elements 128n + 32t .. +31.
AVX2 static inline __m256i q6_K_row(const blk_q6_K *b, int n, int t) {
    __m256i l = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * n + 32 * (t & 1)));
    __m256i h = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * n));
    __m256i low = _mm256_and_si256(_mm256_srli_epi16(l, 4 * (t >> 1)), _mm256_set1_epi8(0x0F));
    __m256i high = _mm256_and_si256(_mm256_srli_epi16(h, 2 * t), _mm256_set1_epi8(0x03));
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
}

// Q6_K: as tile_q4_K; Σ sc·(q - 32)·a = Σ sc·q·a - Σ 32·sc·(group sums of a).
AVX2 static inline __attribute__((always_inline)) void tile_q6_K(int nb, const blk_q6_K *const *w, const kq_scales *const *sc,
                                                                  const act_q8_256 *const *x, int nw, int nx, __m256 acc[2][4]) {
    for (int i = 0; i < nb; i++) {
        kq_scales own[2];
        const kq_scales *sr[2];
        BLOCK_SCALES(q6_K, sr, own, sc, w, nw, nb, i)
        __m256i sumi[2][4];
        for (int r = 0; r < nw; r++)
            for (int v = 0; v < nx; v++) sumi[r][v] = _mm256_setzero_si256();
        // Rolled with decoded scales (many rows: registers), unrolled in decode (as Q4_K).
        if (sc) {
#pragma clang loop unroll(disable)
        for (int s = 0; s < 8; s++) {
            __m256i q[2];
            for (int r = 0; r < nw; r++) q[r] = q6_K_row(&w[r][i], s >> 2, s & 3);
            for (int v = 0; v < nx; v++) {
                __m256i a = ACT(v, i, 32 * s);
                for (int r = 0; r < nw; r++)
                    sumi[r][v] = _mm256_add_epi32(sumi[r][v], _mm256_madd_epi16(_mm256_maddubs_epi16(q[r], a), sr[r]->s[s]));
            }
        }
        } else {
        for (int s = 0; s < 8; s++) {
            __m256i q[2];
            for (int r = 0; r < nw; r++) q[r] = q6_K_row(&w[r][i], s >> 2, s & 3);
            for (int v = 0; v < nx; v++) {
                __m256i a = ACT(v, i, 32 * s);
                for (int r = 0; r < nw; r++)
                    sumi[r][v] = _mm256_add_epi32(sumi[r][v], _mm256_madd_epi16(_mm256_maddubs_epi16(q[r], a), sr[r]->s[s]));
            }
        }
        }
        for (int r = 0; r < nw; r++)
            for (int v = 0; v < nx; v++) settle(sr[r], x[v] + i, sumi[r][v], &acc[r][v], 1);
    }
}

// y[v * ldy + r] for the nw × nx tile, each output the sum of its accumulator's lanes.
AVX2 static inline __attribute__((always_inline)) void store_tile(__m256 acc[2][4], int nw, int nx, float *y, int ldy) {
    for (int r = 0; r < nw; r++)
        for (int v = 0; v < nx; v++) y[(size_t)v * ldy + r] = hsum_ps(acc[r][v]);
}

// One function per tile shape (constant nw, nx keep the accumulators in registers); the _1
// ones decode scales as they go (sc NULL), the others read them from sc.
typedef void (*tile_fn)(int nb, const void *const *w, const kq_scales *const *sc, const act_q8_256 *const *x, float *y, int ldy);
#define TILE(type, nw, nx, one)                                                                                    \
    AVX2 static void type##_##nw##x##nx##_##one(int nb, const void *const *w, const kq_scales *const *sc,          \
                                                 const act_q8_256 *const *x, float *y, int ldy) {                  \
        __m256 acc[2][4];                                                                                          \
        for (int r = 0; r < nw; r++)                                                                               \
            for (int v = 0; v < nx; v++) acc[r][v] = _mm256_setzero_ps();                                          \
        tile_##type(nb, (const blk_##type *const *)w, one ? 0 : sc, x, nw, nx, acc);                               \
        store_tile(acc, nw, nx, y, ldy);                                                                           \
    }
#define TILES(type, one)                                                                                           \
    TILE(type, 1, 1, one) TILE(type, 1, 2, one) TILE(type, 1, 3, one) TILE(type, 1, 4, one)                        \
    TILE(type, 2, 1, one) TILE(type, 2, 2, one) TILE(type, 2, 3, one) TILE(type, 2, 4, one)
#define TILE_TABLE(type)                                                                                           \
    TILES(type, 0) TILES(type, 1)                                                                                  \
    static const tile_fn type##_tiles[2][2][4] = {                                                                 \
        {{type##_1x1_0, type##_1x2_0, type##_1x3_0, type##_1x4_0}, {type##_2x1_0, type##_2x2_0, type##_2x3_0, type##_2x4_0}}, \
        {{type##_1x1_1, type##_1x2_1, type##_1x3_1, type##_1x4_1}, {type##_2x1_1, type##_2x2_1, type##_2x3_1, type##_2x4_1}}};
TILE_TABLE(q4_K)
TILE_TABLE(q6_K)

// A type's block size, decoder and tiles.
typedef struct { size_t block; void (*decode)(const void *b, kq_scales *o); const tile_fn (*tiles)[2][4]; } kq_kind;
static int kq_kind_of(int type, kq_kind *o) {
    switch (type) {
    case TERN_Q4_K: *o = (kq_kind){sizeof(blk_q4_K), (void (*)(const void *, kq_scales *))decode_q4_K, q4_K_tiles}; return 1;
    case TERN_Q6_K: *o = (kq_kind){sizeof(blk_q6_K), (void (*)(const void *, kq_scales *))decode_q6_K, q6_K_tiles}; return 1;
    default: return 0;
    }
}

// This thread's decoded scales: (2, blocks per row), grown (never shrunk) as rows get longer,
// and freed when the thread exits (a pool's workers end with it; without the key's destructor
// each would leak its buffer, as AddressSanitizer showed).
static _Thread_local kq_scales *scratch;
static _Thread_local int scratch_blocks;
static pthread_key_t scratch_key;
static pthread_once_t scratch_key_once = PTHREAD_ONCE_INIT;
static void scratch_key_make(void) { pthread_key_create(&scratch_key, free); }
static kq_scales *scales_for(int nb) {
    if (nb > scratch_blocks) {
        free(scratch);
        scratch = aligned_alloc(64, sizeof(kq_scales) * 2 * (size_t)nb);
        scratch_blocks = scratch ? nb : 0;
        pthread_once(&scratch_key_once, scratch_key_make);
        pthread_setspecific(scratch_key, scratch);  // the destructor frees it at thread exit
    }
    return scratch;
}

// Activation rows per pass over the weight rows: about 512 KB of them, so they stay in L2
// while each weight row pair (decoded once per pass) meets all of them.
static int act_block_rows(size_t x_stride) { int n = (int)((512u << 10) / (x_stride ? x_stride : 1)); return n < 4 ? 4 : n / 4 * 4; }

// The activation rows (at most 4) of tile calls starting at row v.
static int tile_rows(const uint8_t *xb, size_t x_stride, int v, int v1, const act_q8_256 *xs[4]) {
    int nx = v + 4 <= v1 ? 4 : v1 - v;
    for (int j = 0; j < nx; j++) xs[j] = (const act_q8_256 *)(xb + (size_t)(v + j) * x_stride);
    return nx;
}

// Activation rows [v0, v1) against weight rows [r0, r1), scales decoded once per row pair into sc (2, nb).
static void pass_decoded(const kq_kind *kind, const uint8_t *wb, size_t row_bytes, int nb, int r0, int r1, const uint8_t *xb,
                         size_t x_stride, int v0, int v1, kq_scales *sc, float *y, int ldy) {
    for (int r = r0; r < r1; r += 2) {
        int nw = r + 2 <= r1 ? 2 : 1;
        const void *rows[2] = {wb + (size_t)r * row_bytes, wb + (size_t)(r + nw - 1) * row_bytes};
        const kq_scales *s[2] = {sc, sc + nb};
        for (int j = 0; j < nw; j++)
            for (int i = 0; i < nb; i++) kind->decode((const uint8_t *)rows[j] + i * kind->block, &sc[j * nb + i]);
        for (int v = v0; v < v1; v += 4) {
            const act_q8_256 *xs[4];
            int nx = tile_rows(xb, x_stride, v, v1, xs);
            kind->tiles[0][nw - 1][nx - 1](nb, rows, s, xs, y + (size_t)v * ldy + r, ldy);
        }
    }
}

int tern_matmul_kquant_avx2(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x,
                            size_t x_stride, int nvec, float *y, int ldy) {
    kq_kind kind;
    if (!tern_using_avx2() || !kq_kind_of(type, &kind)) return 0;
    int nb = k / 256;
    const uint8_t *wb = w, *xb = x;
    kq_scales *sc = nvec >= 4 ? scales_for(nb) : 0;
    if (!sc) {  // few rows (decode): one pass, scales decoded on the way
        const act_q8_256 *xs[4];
        for (int v = 0; v < nvec; v += 4) {
            int nx = tile_rows(xb, x_stride, v, nvec, xs);
            for (int r = r0; r < r1; r += 2) {
                int nw = r + 2 <= r1 ? 2 : 1;
                const void *rows[2] = {wb + (size_t)r * row_bytes, wb + (size_t)(r + nw - 1) * row_bytes};
                kind.tiles[1][nw - 1][nx - 1](nb, rows, 0, xs, y + (size_t)v * ldy + r, ldy);
            }
        }
        return 1;
    }
    int step = act_block_rows(x_stride);
    for (int v0 = 0; v0 < nvec; v0 += step)
        pass_decoded(&kind, wb, row_bytes, nb, r0, r1, xb, x_stride, v0, v0 + step < nvec ? v0 + step : nvec, sc, y, ldy);
    return 1;
}

// The 1×1 tile: one pair's dot, with the arithmetic every tile gives it.
float tern_dot_kquant_avx2(int type, int k, const void *w, const void *x) {
    kq_kind kind;
    if (!kq_kind_of(type, &kind)) return 0;
    float y = 0;
    const act_q8_256 *xs[1] = {x};
    kind.tiles[1][0][0](k / 256, &w, 0, xs, &y, 1);
    return y;
}
#else
int tern_matmul_kquant_avx2(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x,
                            size_t x_stride, int nvec, float *y, int ldy) {
    (void)type; (void)w; (void)row_bytes; (void)k; (void)r0; (void)r1; (void)x; (void)x_stride; (void)nvec; (void)y; (void)ldy;
    return 0;
}
float tern_dot_kquant_avx2(int type, int k, const void *w, const void *x) { (void)type; (void)k; (void)w; (void)x; return 0; }
#endif
