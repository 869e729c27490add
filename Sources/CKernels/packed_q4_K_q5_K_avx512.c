// Q4_K and Q5_K weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c
// for the idea). Per group of 16 rows and 256-element block, 2,368 bytes for Q4_K (a multiple
// of 64):
//   qs:   (8 sub-blocks, 4 t, 16 rows, 4 e) nibble pairs: the low nibble is element 4t+e of
//         the sub-block, the high nibble element 16+4t+e (the nibbles stay 4-bit in memory);
//   sc:   (8, 16) 6-bit scales;   m: (8, 16) 6-bit minimums;
//   d, dmin: (16) f16 each.
// Q5_K blocks (2,880 bytes) are the same followed by the fifth bits of q, as AVX-512 masks:
//   hi:   (8 sub-blocks, 8 vectors v) uint64: bit 4i+e is the fifth bit of element 4v+e
//         (v < 4) or 16+4(v-4)+e (v >= 4) of the sub-block in row i, so a masked add of 16
//         completes the nibbles of vector v.
// Against Q8_256 activations (d, 16-element sums, bytes): per sub-block, eight vpdpbusd give
// Σ q·x for 16 rows, scaled by d·sc·dx into the row's sum; the minimums' term
// dmin·dx·Σ m·Σx comes from eight vpdpwssd of (m, m) pairs against the activation's
// 16-element sums. Each output is the same whatever the number of activation rows.
#include "quants.h"

// Row i of one block of the file (its fields) into the packed group block at dst.
static void pack_block(const uint8_t *field, const uint8_t *qs, const uint8_t *qh, int i, uint8_t *dst) {
    uint8_t *sc = dst + 2048, *m = sc + 128, *hi = dst + Q4_K_GROUP_BLOCK;
    uint16_t *d = (uint16_t *)(m + 128);
    memcpy(&d[i], field, 2);           // d
    memcpy(&d[16 + i], field + 2, 2);  // dmin
    for (int s = 0; s < 8; s++) {
        kquant_scale_min(s, field + 4, &sc[16 * s + i], &m[16 * s + i]);
        const uint8_t *q = qs + 32 * (s / 2);
        int shift = 4 * (s % 2);
        for (int t = 0; t < 4; t++)
            for (int e = 0; e < 4; e++) {
                int l = 4 * t + e, at = 64 * t + 4 * i + e;
                dst[256 * s + at] = (uint8_t)(((q[l] >> shift) & 0xF) | ((q[16 + l] >> shift) & 0xF) << 4);
                if (qh) {
                    uint64_t *mk = (uint64_t *)hi + 8 * s;
                    mk[t] |= (uint64_t)((qh[l] >> s) & 1) << (4 * i + e);
                    mk[t + 4] |= (uint64_t)((qh[16 + l] >> s) & 1) << (4 * i + e);
                }
            }
    }
}

// Rows [0, n) of `w` (n <= 16), nb blocks each, into one group at dst (nb blocks).
void tern_pack_group_q4_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q4_K_GROUP_BLOCK);
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < n; i++) {
            const blk_q4_K *blk = (const blk_q4_K *)(w + (size_t)i * row_bytes) + b;
            pack_block((const uint8_t *)blk, blk->qs, NULL, i, dst + (size_t)b * Q4_K_GROUP_BLOCK);
        }
}

void tern_pack_group_q5_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q5_K_GROUP_BLOCK);
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < n; i++) {
            const blk_q5_K *blk = (const blk_q5_K *)(w + (size_t)i * row_bytes) + b;
            pack_block((const uint8_t *)blk, blk->qs, blk->qh, i, dst + (size_t)b * Q5_K_GROUP_BLOCK);
        }
}

// Row i of the packed group block at p back into the file's fields (qh NULL for Q4_K).
static void unpack_block(const uint8_t *p, int i, uint8_t *field, uint8_t *qs, uint8_t *qh) {
    const uint8_t *sc = p + 2048, *m = sc + 128, *hi = p + Q4_K_GROUP_BLOCK;
    memcpy(field, (const uint16_t *)(m + 128) + i, 2);
    memcpy(field + 2, (const uint16_t *)(m + 128) + 16 + i, 2);
    // The 12-byte encoding kquant_scale_min reads: 6 bits of sub-blocks 0..3 in bytes 0..7,
    // sub-blocks 4..7 as nibbles in bytes 8..11 plus the top two bits of bytes 0..7.
    uint8_t *scales = field + 4;
    for (int j = 0; j < 4; j++) {
        uint8_t s0 = sc[16 * j + i], s1 = sc[16 * (j + 4) + i], m0 = m[16 * j + i], m1 = m[16 * (j + 4) + i];
        scales[j] = (uint8_t)(s0 | (s1 >> 4) << 6);
        scales[j + 4] = (uint8_t)(m0 | (m1 >> 4) << 6);
        scales[j + 8] = (uint8_t)((s1 & 0xF) | (m1 & 0xF) << 4);
    }
    if (qh) memset(qh, 0, 32);
    // Sub-blocks s (the file's low nibbles) and s + 1 (its high nibbles) share 32 bytes.
    for (int s = 0; s < 8; s++)
        for (int t = 0; t < 4; t++)
            for (int e = 0; e < 4; e++) {
                int l = 4 * t + e, at = 64 * t + 4 * i + e;
                uint8_t a = p[256 * s + at], *q = qs + 32 * (s / 2);
                if (s % 2 == 0) {
                    q[l] = a & 0xF;
                    q[16 + l] = a >> 4;
                } else {
                    q[l] |= (uint8_t)(a << 4);
                    q[16 + l] |= (uint8_t)(a & 0xF0);
                }
                if (!qh) continue;
                const uint64_t *mk = (const uint64_t *)hi + 8 * s;
                qh[l] |= (uint8_t)((mk[t] >> (4 * i + e) & 1) << s);
                qh[16 + l] |= (uint8_t)((mk[t + 4] >> (4 * i + e) & 1) << s);
            }
}

void tern_unpack_q4_K(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++) {
        blk_q4_K *blk = (blk_q4_K *)row + b;
        unpack_block(p + (size_t)b * Q4_K_GROUP_BLOCK, i, (uint8_t *)blk, blk->qs, NULL);
    }
}

void tern_unpack_q5_K(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++) {
        blk_q5_K *blk = (blk_q5_K *)row + b;
        unpack_block(p + (size_t)b * Q5_K_GROUP_BLOCK, i, (uint8_t *)blk, blk->qs, blk->qh);
    }
}

#if defined(__x86_64__)
// The fifth bits of sub-block s (eight 64-bit masks at m, one per vector of w) added to its nibbles.
AVX512 static inline __attribute__((always_inline)) void add_fifth_bits(__m512i w[8], const uint8_t *m) {
    const __m512i sixteen = _mm512_set1_epi8(16);
    for (int j = 0; j < 8; j++) {
        uint64_t bits;
        memcpy(&bits, m + 8 * j, 8);
        w[j] = _mm512_mask_add_epi8(w[j], _cvtu64_mask64(bits), w[j], sixteen);
    }
}

// The minimums' term of one block: acc[r] -= dmin·dx·Σ m·Σx. Lanes hold (m, m) of each
// sub-block as two int16, against the two 16-element sums of that sub-block's activations.
AVX512 static inline __attribute__((always_inline)) void minimums(const uint8_t *mn, __m512 dminv, const act_q8_256 *const *x,
                                                                   int b, int n, __m512 *acc) {
    __m512i mm[8];
    for (int s = 0; s < 8; s++) {
        __m512i v = _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(mn + 16 * s)));
        mm[s] = _mm512_or_si512(v, _mm512_slli_epi32(v, 16));
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < n; r++) {
        const act_q8_256 *a = x[r] + b;
        __m512i sum = _mm512_setzero_si512();
        for (int s = 0; s < 8; s++) {
            int32_t two;
            memcpy(&two, a->bsums + 2 * s, 4);
            sum = _mm512_dpwssd_epi32(sum, mm[s], _mm512_set1_epi32(two));
        }
        acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dminv, _mm512_set1_ps(a->d)), acc[r]);
    }
}

// Q4_K (five = 0) or Q5_K (five = 1, a constant: each copy is specialized).
AVX512 static inline __attribute__((always_inline)) void k45_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                         int n, float *y, int ldy, uint16_t mask, int five) {
    const size_t stride = five ? Q5_K_GROUP_BLOCK : Q4_K_GROUP_BLOCK;
    const int lines = five ? 6 : 5;  // per sub-block, to prefetch all 45 (37) lines of a block
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += stride) {
        const uint8_t *sc = p + 2048, *mn = sc + 128;
        __m512 dv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(mn + 128)));
        __m512 dminv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(mn + 160)));
        for (int s = 0; s < 8; s++) {
            __m512i w[8];
            split_nibbles(p + 256 * s, w);
            if (five) add_fifth_bits(w, p + Q4_K_GROUP_BLOCK + 64 * s);
            for (int l = lines * s; l < lines * s + lines; l++) _mm_prefetch((const char *)p + PREFETCH + 64 * l, _MM_HINT_T0);
            __m512 ds = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(sc + 16 * s)))), dv);
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
            for (int r = 0; r < n; r++) {
                const act_q8_256 *a = x[r] + b;
                __m512i sum = dpbusd_rows(_mm512_setzero_si512(), w, a->qs + 32 * s, 8);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ds, _mm512_set1_ps(a->d)), acc[r]);
            }
        }
        minimums(mn, dminv, x, b, n, acc);
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

AVX512 static inline __attribute__((always_inline)) void q4_K_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    k45_group_rows(p, nb, x, n, y, ldy, mask, 0);
}

AVX512 static inline __attribute__((always_inline)) void q5_K_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    k45_group_rows(p, nb, x, n, y, ldy, mask, 1);
}

TERN_GROUP_FNS(q4_K, q4_K_group_rows, act_q8_256)
TERN_GROUP_FNS(q5_K, q5_K_group_rows, act_q8_256)
#endif
