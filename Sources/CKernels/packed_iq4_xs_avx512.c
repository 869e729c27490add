// IQ4_XS weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea), as compact as the file's blocks (4.25 bits a weight). Per group of 16 rows and
// 256-element block, 2,176 bytes (34 lines):
//   qs:  (8 sub-blocks, 4 t, 16 rows, 4 e) the row's bytes 16·sub-block + 4t..4t+3 as stored:
//        low nibbles index element 4t+e of the sub-block, high nibbles element 16+4t+e;
//   sl:  (16) the rows' four bytes of scales_l as one uint32 (sub-block s in bits 4s..4s+3);
//   sh:  (16) the rows' scales_h (sub-block s in bits 2s, 2s+1);   d: (16) f16.
// A vpshufb turns the nibbles into grid value + 128 (1..241: vpdpbusd's unsigned side);
// against Q8_256 activations each 32-element sub-block starts from -128·Σx (its two
// 16-element sums), so the sum is Σ value·x exactly, scaled by d·(scale - 32)·dx. Each output
// is the same whatever the number of activation rows.
#include "lowbit.h"

enum { IQ4_XS_SL = 2048, IQ4_XS_SH = 2112, IQ4_XS_D = 2144 };
_Static_assert(IQ4_XS_D + 32 == IQ4_XS_GROUP_BLOCK, "iq4_xs group block");

void tern_pack_group_iq4_xs(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * IQ4_XS_GROUP_BLOCK);
    for (int b = 0; b < nb; b++) {
        uint8_t *p = dst + (size_t)b * IQ4_XS_GROUP_BLOCK;
        for (int i = 0; i < n; i++) {
            const blk_iq4_xs *blk = (const blk_iq4_xs *)(w + (size_t)i * row_bytes) + b;
            memcpy(p + IQ4_XS_SL + 4 * i, blk->scales_l, 4);
            memcpy(p + IQ4_XS_SH + 2 * i, &blk->scales_h, 2);
            memcpy(p + IQ4_XS_D + 2 * i, &blk->d, 2);
            for (int s = 0; s < 8; s++)
                for (int t = 0; t < 4; t++) memcpy(p + 256 * s + 64 * t + 4 * i, blk->qs + 16 * s + 4 * t, 4);
        }
    }
}

void tern_unpack_iq4_xs(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++, p += IQ4_XS_GROUP_BLOCK) {
        blk_iq4_xs *blk = (blk_iq4_xs *)row + b;
        memcpy(blk->scales_l, p + IQ4_XS_SL + 4 * i, 4);
        memcpy(&blk->scales_h, p + IQ4_XS_SH + 2 * i, 2);
        memcpy(&blk->d, p + IQ4_XS_D + 2 * i, 2);
        for (int s = 0; s < 8; s++)
            for (int t = 0; t < 4; t++) memcpy(blk->qs + 16 * s + 4 * t, p + 256 * s + 64 * t + 4 * i, 4);
    }
}

#if defined(__x86_64__)
// The scales of sub-block s of the 16 rows (-32..31) times their d.
AVX512 static inline __attribute__((always_inline)) __m512 sub_block_scales(__m512i sl, __m512i sh, __m512 dv, int s) {
    __m512i low = _mm512_and_si512(_mm512_srli_epi32(sl, 4 * s), _mm512_set1_epi32(0xF));
    __m512i high = _mm512_and_si512(_mm512_srli_epi32(sh, 2 * s), _mm512_set1_epi32(3));
    __m512i scale = _mm512_sub_epi32(_mm512_or_si512(low, _mm512_slli_epi32(high, 4)), _mm512_set1_epi32(32));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(scale), dv);
}

AVX512 static inline __attribute__((always_inline)) void iq4_xs_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                            int n, float *y, int ldy, uint16_t mask) {
    int8_t shifted[16];  // the grid plus 128, in every 128-bit lane
    for (int j = 0; j < 16; j++) shifted[j] = (int8_t)(iq4_values[j] + 128);
    const __m512i grid = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)shifted));
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += IQ4_XS_GROUP_BLOCK) {
        __m512 dv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p + IQ4_XS_D)));
        __m512i sl = _mm512_load_si512(p + IQ4_XS_SL);
        __m512i sh = _mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(p + IQ4_XS_SH)));
        for (int s = 0; s < 8; s++) {
            __m512i w[8];
            split_nibbles(p + 256 * s, w);
            for (int j = 0; j < 8; j++) w[j] = _mm512_shuffle_epi8(grid, w[j]);
            // Five of the block's 34 lines ahead per sub-block.
            for (int l = 5 * s; l < 5 * s + 5; l++) _mm_prefetch((const char *)p + PREFETCH + 64 * l, _MM_HINT_T0);
            __m512 ds = sub_block_scales(sl, sh, dv, s);
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
            for (int r = 0; r < n; r++) {
                const act_q8_256 *a = x[r] + b;
                __m512i c = _mm512_set1_epi32(-128 * (a->bsums[2 * s] + a->bsums[2 * s + 1]));
                __m512i sum = dpbusd_rows(c, w, a->qs + 32 * s, 8);
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ds, _mm512_set1_ps(a->d)), acc[r]);
            }
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(iq4_xs, iq4_xs_group_rows, act_q8_256)
#endif
