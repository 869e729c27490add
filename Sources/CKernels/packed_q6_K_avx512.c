// Q6_K weights packed sixteen rows interleaved for AVX-512 VNNI (see packed_avx512.c for the
// idea), as compact as the file's blocks (6.6 bits a weight: the tied LM heads of Llama 3
// models are Q6_K, so decode streams them every token). Per group of 16 rows and 256-element
// block, 3,392 bytes (a multiple of 64):
//   lo: (8 pairs, 4 t, 16 rows, 4 e) nibble pairs: the low four bits of q (0..63) of element
//       4t+e of sub-block 2·pair (low nibble) and of sub-block 2·pair+1 (high nibble);
//   hi: (4 quads, 4 t, 16 rows, 4 e) bytes: bits 2j, 2j+1 are the top two bits of q of
//       element 4t+e of sub-block 4·quad+j;
//   sc: (16, 16) int8 scales;   d: (16) f16, then 32 bytes of padding.
// Against Q8_256 activations: per 16-element sub-block, four vpdpbusd starting from
// -32·Σx (so the sum is Σ (q - 32)·x exactly), scaled by d·sc·dx into the row's sum.
#include "quants.h"

enum { Q6_K_HI = 2048, Q6_K_SC = 3072, Q6_K_D = 3328 };
// Its blocks take longer to consume than they take to arrive from memory only this far ahead:
// at PREFETCH the 216 MB LM head of a Llama 3.2 1B ran at 9.4 ms a token on 2 cores (Zen 4),
// at twice that 7.3 ms (at three times, no better).
enum { Q6_K_PREFETCH = 2 * PREFETCH };

void tern_pack_group_q6_K(const uint8_t *w, size_t row_bytes, int nb, int n, uint8_t *dst) {
    memset(dst, 0, (size_t)nb * Q6_K_GROUP_BLOCK);
    for (int b = 0; b < nb; b++) {
        uint8_t *p = dst + (size_t)b * Q6_K_GROUP_BLOCK;
        int8_t *sc = (int8_t *)(p + Q6_K_SC);
        uint16_t *d = (uint16_t *)(p + Q6_K_D);
        for (int i = 0; i < n; i++) {
            const blk_q6_K *blk = (const blk_q6_K *)(w + (size_t)i * row_bytes) + b;
            d[i] = blk->d;
            for (int s = 0; s < 16; s++) {
                sc[16 * s + i] = blk->scales[s];
                for (int t = 0; t < 4; t++)
                    for (int e = 0; e < 4; e++) {
                        int q = q6_K_value(blk, 16 * s + 4 * t + e), at = 64 * t + 4 * i + e;
                        p[256 * (s / 2) + at] |= (uint8_t)((q & 0xF) << (4 * (s % 2)));
                        p[Q6_K_HI + 256 * (s / 4) + at] |= (uint8_t)((q >> 4) << (2 * (s % 4)));
                    }
            }
        }
    }
}

void tern_unpack_q6_K(const uint8_t *p, int nb, int i, uint8_t *row) {
    for (int b = 0; b < nb; b++, p += Q6_K_GROUP_BLOCK) {
        blk_q6_K *blk = (blk_q6_K *)row + b;
        memset(blk, 0, sizeof *blk);
        blk->d = ((const uint16_t *)(p + Q6_K_D))[i];
        for (int s = 0; s < 16; s++) {
            blk->scales[s] = ((const int8_t *)(p + Q6_K_SC))[16 * s + i];
            for (int t = 0; t < 4; t++)
                for (int e = 0; e < 4; e++) {
                    int at = 64 * t + 4 * i + e, el = 16 * s + 4 * t + e;
                    int q = (p[256 * (s / 2) + at] >> (4 * (s % 2)) & 0xF) | (p[Q6_K_HI + 256 * (s / 4) + at] >> (2 * (s % 4)) & 3) << 4;
                    // Where q6_K_value reads element el: a nibble of ql and two bits of qh.
                    int half = el / 128, quarter = (el % 128) / 32, l = el % 32;
                    blk->ql[64 * half + l + 32 * (quarter & 1)] |= (uint8_t)((q & 0xF) << (4 * (quarter >> 1)));
                    blk->qh[32 * half + l] |= (uint8_t)((q >> 4) << (2 * quarter));
                }
        }
    }
}

#if defined(__x86_64__)
AVX512 static inline __attribute__((always_inline)) void q6_K_group_rows(const uint8_t *p, int nb, const act_q8_256 *const *x,
                                                                          int n, float *y, int ldy, uint16_t mask) {
    const __m512i top = _mm512_set1_epi8(0x30);
    __m512 acc[16];
    for (int r = 0; r < n; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++, p += Q6_K_GROUP_BLOCK) {
        const int8_t *sc = (const int8_t *)(p + Q6_K_SC);
        __m512 dv = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p + Q6_K_D)));
        for (int quad = 0; quad < 4; quad++) {
            __m512i hi[4];
            for (int t = 0; t < 4; t++) hi[t] = _mm512_load_si512(p + Q6_K_HI + 256 * quad + 64 * t);
            for (int pair = 2 * quad; pair < 2 * quad + 2; pair++) {
                __m512i lo[8];
                split_nibbles(p + 256 * pair, lo);
                // Seven of the block's 53 lines ahead per pair: spread out, so none is dropped.
                for (int l = 7 * pair; l < 7 * pair + 7; l++) _mm_prefetch((const char *)p + Q6_K_PREFETCH + 64 * l, _MM_HINT_T0);
                for (int j = 0; j < 2; j++) {
                    int s = 2 * pair + j, shift = 2 * (s % 4);  // the top bits of q at bits 4, 5 of each byte
                    __m512i w[4];
                    for (int t = 0; t < 4; t++) {
                        __m512i h = shift <= 4 ? _mm512_slli_epi16(hi[t], 4 - shift) : _mm512_srli_epi16(hi[t], shift - 4);
                        w[t] = _mm512_or_si512(lo[4 * j + t], _mm512_and_si512(h, top));
                    }
                    __m512 ds = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(sc + 16 * s)))), dv);
#pragma clang loop unroll(full)  // accumulators in registers, rows interleaved
                    for (int r = 0; r < n; r++) {
                        const act_q8_256 *a = x[r] + b;
                        __m512i sum = dpbusd_rows(_mm512_set1_epi32(-32 * a->bsums[s]), w, a->qs + 16 * s, 4);
                        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ds, _mm512_set1_ps(a->d)), acc[r]);
                    }
                }
            }
        }
    }
    for (int r = 0; r < n; r++) _mm512_mask_storeu_ps(y + (size_t)r * ldy, mask, acc[r]);
}

TERN_GROUP_FNS(q6_K, q6_K_group_rows, act_q8_256)
#endif
