// Q5_0 and Q8_0 weights repacked for AVX-512 VNNI, sixteen rows interleaved, so that one
// vpdpbusd computes four products for each of 16 weight rows against one activation row.
// The row-by-row kernels paid a convert, a scale multiply and an FMA for every 64 products
// (one block pair of one row); here a block of 16 rows costs eight vpdpbusd and those three
// operations once per activation row: the LM heads of batched decode are their largest user.
//
// Layout of a packed matrix of `rows` rows: ceil(rows / 16) groups, each padded to a multiple
// of 64 bytes (so every 512-byte block stays aligned); a group of nb = k / 32 blocks holds
//   qs: (nb, 8, 16, 4) bytes — block b, then for j = 0..7 and row i = 0..15 the weights
//       4j..4j+3 of row 16g+i, each stored as w + 128 (unsigned, vpdpbusd's unsigned side);
//       rows past the end are zeros (128);
//   d:  (nb, 16) f16 — each row's block scale, after the group's qs.
// Every packed type shares this frame (groups of 16 rows, one region each); the others'
// blocks are described in their files.
// Activations (act_q8_32x) are the signed side, four bytes broadcast per vpdpbusd; a block's
// sum starts from c = -128·Σx, which cancels the weights' offset exactly. A weight row's
// result is Σ over blocks, in order, of float(Σ w·x) · (dw·dx): the same whatever number of
// activation rows run with it (batch invariance).
#include "quants.h"
#include <stdlib.h>

int tern_packs(int type) {
    // The AVX-512 VNNI kernels, or else the AVX2 ones of packed_avx2.c (the same types).
    return tern_using_avx2()
        && (type == TERN_Q4_0 || type == TERN_Q4_1 || type == TERN_Q5_0 || type == TERN_Q8_0 || type == TERN_Q4_K
            || type == TERN_Q5_K || type == TERN_Q6_K || type == TERN_IQ4_XS);
}

// Elements per block, and bytes of one packed group of nb blocks (a multiple of 64).
static int block_elems(int type) {
    return type == TERN_Q4_K || type == TERN_Q5_K || type == TERN_Q6_K || type == TERN_IQ4_XS ? 256 : 32;
}
static size_t group_bytes(int type, int nb) {
    switch (type) {
    case TERN_Q4_0: return tern_q4_0_group_bytes(nb);
    case TERN_Q4_1: return (size_t)nb * Q4_1_GROUP_BLOCK;
    case TERN_Q4_K: return (size_t)nb * Q4_K_GROUP_BLOCK;
    case TERN_Q5_K: return (size_t)nb * Q5_K_GROUP_BLOCK;
    case TERN_Q6_K: return (size_t)nb * Q6_K_GROUP_BLOCK;
    case TERN_IQ4_XS: return (size_t)nb * IQ4_XS_GROUP_BLOCK;
    default: return ((size_t)nb * (512 + 16 * sizeof(uint16_t)) + 63) / 64 * 64;
    }
}

size_t tern_packed_bytes(int type, int rows, int k) {
    return (size_t)((rows + 15) / 16) * group_bytes(type, k / block_elems(type));
}

// The 32 weights of block b of one row as int8, and its scale.
static uint16_t block_values(int type, const uint8_t *row, int b, int8_t *v) {
    if (type == TERN_Q8_0) {
        const blk_q8_0 *q = (const blk_q8_0 *)row + b;
        memcpy(v, q->qs, 32);
        return q->d;
    }
    const blk_q5_0 *q = (const blk_q5_0 *)row + b;
    for (int j = 0; j < 32; j++) v[j] = (int8_t)(block32_value(q->qs, block32_high(q->qh), j) - 16);
    return q->d;
}

// One group: rows [0, n) of `w` (n <= 16) into the group at p (qs, then d).
static void pack_group(int type, const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *p) {
    uint8_t *qs = p;
    uint16_t *d = (uint16_t *)(p + (size_t)nb * 512);
    memset(p, 0, group_bytes(type, nb));
    memset(qs, 128, (size_t)nb * 512);
    int8_t v[32];
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < nb; b++) {
            d[16 * b + i] = block_values(type, w + (size_t)i * row_bytes, b, v);
            for (int j = 0; j < 8; j++)
                for (int t = 0; t < 4; t++) qs[512 * b + 64 * j + 4 * i + t] = (uint8_t)(v[4 * j + t] + 128);
        }
    }
}

// Row i of the group at p back into the file's Q5_0 or Q8_0 blocks.
static void unpack_group_row(int type, const uint8_t *p, int nb, int i, uint8_t *row) {
    const uint16_t *d = (const uint16_t *)(p + (size_t)nb * 512);
    for (int b = 0; b < nb; b++) {
        int8_t v[32];
        for (int j = 0; j < 8; j++)
            for (int t = 0; t < 4; t++) v[4 * j + t] = (int8_t)(p[512 * b + 64 * j + 4 * i + t] - 128);
        if (type == TERN_Q8_0) {
            blk_q8_0 *q = (blk_q8_0 *)row + b;
            q->d = d[16 * b + i];
            memcpy(q->qs, v, 32);
            continue;
        }
        blk_q5_0 *q = (blk_q5_0 *)row + b;
        q->d = d[16 * b + i];
        uint32_t qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = v[j] + 16, hi = v[j + 16] + 16;
            q->qs[j] = (uint8_t)((lo & 0xF) | (hi & 0xF) << 4);
            qh |= (uint32_t)(lo >> 4) << j | (uint32_t)(hi >> 4) << (j + 16);
        }
        memcpy(q->qh, &qh, 4);
    }
}

static void pack_one(int type, const uint8_t *w, size_t row_bytes, int k, int n, uint8_t *p) {
    switch (type) {
    case TERN_Q4_0: tern_pack_group_q4_0(w, row_bytes, k / 32, n, p); break;
    case TERN_Q4_1: tern_pack_group_q4_1(w, row_bytes, k / 32, n, p); break;
    case TERN_Q4_K: tern_pack_group_q4_K(w, row_bytes, k / 256, n, p); break;
    case TERN_Q5_K: tern_pack_group_q5_K(w, row_bytes, k / 256, n, p); break;
    case TERN_Q6_K: tern_pack_group_q6_K(w, row_bytes, k / 256, n, p); break;
    case TERN_IQ4_XS: tern_pack_group_iq4_xs(w, row_bytes, k / 256, n, p); break;
    default: pack_group(type, w, row_bytes, k / 32, n, p);
    }
}

void tern_pack_rows(int type, const void *w, size_t row_bytes, int k, int rows, int g0, int g1, void *dst) {
    size_t stride = group_bytes(type, k / block_elems(type));
    for (int g = g0; g < g1 && 16 * g < rows; g++) {
        int n = rows - 16 * g < 16 ? rows - 16 * g : 16;
        pack_one(type, (const uint8_t *)w + (size_t)16 * g * row_bytes, row_bytes, k, n, (uint8_t *)dst + g * stride);
    }
}

void tern_unpack_rows(int type, const void *packed, int k, int r0, int r1, void *dst, size_t row_bytes) {
    int nb = k / block_elems(type);
    size_t stride = group_bytes(type, nb);
    for (int r = r0; r < r1; r++) {
        const uint8_t *p = (const uint8_t *)packed + (size_t)(r / 16) * stride;
        uint8_t *row = (uint8_t *)dst + (size_t)(r - r0) * row_bytes;
        switch (type) {
        case TERN_Q4_0: tern_unpack_q4_0(p, nb, r % 16, row); break;
        case TERN_Q4_1: tern_unpack_q4_1(p, nb, r % 16, row); break;
        case TERN_Q4_K: tern_unpack_q4_K(p, nb, r % 16, row); break;
        case TERN_Q5_K: tern_unpack_q5_K(p, nb, r % 16, row); break;
        case TERN_Q6_K: tern_unpack_q6_K(p, nb, r % 16, row); break;
        case TERN_IQ4_XS: tern_unpack_iq4_xs(p, nb, r % 16, row); break;
        default: unpack_group_row(type, p, nb, r % 16, row);
        }
    }
}

#if defined(__x86_64__)
// n activation rows (x[r], nb blocks each) against one group; lane i of y[r * ldy + i] is
// written where `mask` has bit i.
AVX512 static inline __attribute__((always_inline)) void group_rows(const uint8_t *qs, int nb, const act_q8_32x *const *x,
                                                                     int n, float *y, int ldy, uint16_t mask) {
    const uint16_t *d = (const uint16_t *)(qs + (size_t)nb * 512);
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, qs += 512, d += 16) {
        __m512i w[8];
        for (int j = 0; j < 8; j++) {
            w[j] = _mm512_load_si512(qs + 64 * j);
            _mm_prefetch((const char *)qs + PREFETCH + 64 * j, _MM_HINT_T0);
        }
        __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d));
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
        for (int r = 0; r < n; r++) {
            const act_q8_32x *a = x[r] + b;
            __m512i s = dpbusd_rows(_mm512_set1_epi32(a->c), w, a->qs, 8);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(a->d)), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(i8, group_rows, act_q8_32x)
#endif

// The kernel of a packed type for n activation rows (none where the kernels are not compiled,
// and tern_packs is 0 there).
static tern_group_fn group_fn(int type, int n) {
#if defined(__x86_64__)
    if (!tern_using_avx512()) switch (type) {
        case TERN_Q4_0: return tern_q4_0_group_fn_avx2(n);
        case TERN_Q4_1: return tern_q4_1_group_fn_avx2(n);
        case TERN_Q4_K: return tern_q4_K_group_fn_avx2(n);
        case TERN_Q5_K: return tern_q5_K_group_fn_avx2(n);
        case TERN_Q6_K: return tern_q6_K_group_fn_avx2(n);
        case TERN_IQ4_XS: return tern_iq4_xs_group_fn_avx2(n);
        default: return tern_i8_group_fn_avx2(n);
        }
    switch (type) {
    case TERN_Q4_0: return tern_q4_0_group_fn(n);
    case TERN_Q4_1: return tern_q4_1_group_fn(n);
    case TERN_Q4_K: return tern_q4_K_group_fn(n);
    case TERN_Q5_K: return tern_q5_K_group_fn(n);
    case TERN_Q6_K: return tern_q6_K_group_fn(n);
    case TERN_IQ4_XS: return tern_iq4_xs_group_fn(n);
    default: return tern_i8_group_fn(n);
    }
#else
    (void)type, (void)n;
    return 0;
#endif
}

// The kernel calls that cover `rows` (≤ 16) activation rows: one where a kernel for that count
// exists (1 to 8 and 16 on AVX-512, 1 to 8 on AVX2), else the largest below it, and again for
// what remains. Returns the number of calls (0: no kernels compiled; tern_packs is 0 there).
static int calls_for(int type, int rows, int *ns, tern_group_fn *fs) {
    int calls = 0;
    for (int left = rows; left > 0;) {
        int n = left;
        tern_group_fn f;
        while (!(f = group_fn(type, n)) && n > 1) n--;
        if (!f) return 0;
        ns[calls] = n;
        fs[calls++] = f;
        left -= n;
    }
    return calls;
}

// The calls for nvec rows: per chunk of sixteen, then for the rest. Found once per matrix
// call and used for every group.
typedef struct {
    int nfull, full_n[16], nrest, rest_n[16];  // calls per chunk of 16 rows, and for the rest: row counts
    tern_group_fn full_f[16], rest_f[16];      // and kernels
} group_calls;

static group_calls plan_calls(int type, int nvec) {
    group_calls c;
    c.nfull = nvec >= 16 ? calls_for(type, 16, c.full_n, c.full_f) : 0;
    c.nrest = calls_for(type, nvec % 16, c.rest_n, c.rest_f);
    return c;
}

static void run_calls(int calls, const int *ns, const tern_group_fn *fs, const uint8_t *p, int nb, const uint8_t *x,
                      size_t x_stride, int *v, float *y, int ldy, uint16_t mask) {
    const void *xs[16];
    for (int i = 0; i < calls; *v += ns[i++]) {
        for (int j = 0; j < ns[i]; j++) xs[j] = x + (size_t)(*v + j) * x_stride;
        fs[i](p, nb, xs, y + (size_t)*v * ldy, ldy, mask);
    }
}

// All activation rows against one group, by the calls of plan_calls.
static void group_all(const group_calls *c, const uint8_t *p, int nb, const uint8_t *x, size_t x_stride, int nvec, float *y,
                      int ldy, uint16_t mask) {
    int v = 0;
    if (c->nfull)
        while (v + 16 <= nvec) run_calls(c->nfull, c->full_n, c->full_f, p, nb, x, x_stride, &v, y, ldy, mask);
    run_calls(c->nrest, c->rest_n, c->rest_f, p, nb, x, x_stride, &v, y, ldy, mask);
}

// Lanes of group g that fall in [r0, r1).
static uint16_t lanes(int g, int r0, int r1) {
    int lo = r0 > 16 * g ? r0 - 16 * g : 0, hi = r1 < 16 * g + 16 ? r1 - 16 * g : 16;
    return (uint16_t)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

void tern_matmul_packed(int type, const void *packed, int k, int r0, int r1, const void *x, size_t x_stride, int nvec,
                        float *y, int ldy) {
    int nb = k / block_elems(type);
    size_t stride = group_bytes(type, nb);
    group_calls calls = plan_calls(type, nvec);
    for (int g = r0 / 16; 16 * g < r1; g++)
        group_all(&calls, (const uint8_t *)packed + g * stride, nb, x, x_stride, nvec, y + 16 * g, ldy, lanes(g, r0, r1));
}

// Rows that were not packed ahead (tests, one-off matrices): each tile of 16 is packed into
// scratch first, so the arithmetic is the packed kernel's.
void tern_matmul_packing(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                         int nvec, float *y, int ldy) {
    int nb = k / block_elems(type);
    uint8_t *tile = aligned_alloc(64, group_bytes(type, nb));  // one group
    if (!tile) return;
    group_calls calls = plan_calls(type, nvec);
    for (int t = r0; t < r1; t += 16) {
        int n = r1 - t < 16 ? r1 - t : 16;
        pack_one(type, (const uint8_t *)w + (size_t)t * row_bytes, row_bytes, k, n, tile);
        group_all(&calls, tile, nb, x, x_stride, nvec, y + t, ldy, (uint16_t)((1u << n) - 1));
    }
    free(tile);
}
