// Internal: the block layouts of Q2_K, Q3_K, IQ4_NL and IQ4_XS (facts of the GGUF format) and
// the element and scale helpers their dequantization and dot products share.
#pragma once
#include "quants.h"

// Q2_K: 256 elements in 16 groups of 16, each with a 4-bit scale (low nibble of scales[g]) and
// a 4-bit minimum (high nibble): y = d·scale·q - dmin·min, q two bits.
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } blk_q2_K;              // 84 bytes
// Q3_K: 256 elements in 16 groups of 16 with 6-bit scales (stored minus 32): y = d·scale·q,
// q = two low bits in qs minus 4 where the element's bit in hmask is clear (-4..3).
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } blk_q3_K;  // 110
// IQ4_NL: 32 elements, y = d · iq4_values[nibble] (nibbles ordered as in Q4_0).
typedef struct { uint16_t d; uint8_t qs[16]; } blk_iq4_nl;                                      // 18
// IQ4_XS: 256 elements in 8 sub-blocks of 32 (each laid out as an IQ4_NL block's nibbles) with
// 6-bit scales (stored minus 32; low 4 bits in scales_l, high 2 in scales_h).
typedef struct { uint16_t d, scales_h; uint8_t scales_l[4]; uint8_t qs[128]; } blk_iq4_xs;      // 136

_Static_assert(sizeof(blk_q2_K) == 84, "q2_K"); _Static_assert(sizeof(blk_q3_K) == 110, "q3_K");
_Static_assert(sizeof(blk_iq4_nl) == 18, "iq4_nl"); _Static_assert(sizeof(blk_iq4_xs) == 136, "iq4_xs");

// The 16 values a 4-bit IQ4 index stands for (the non-linear grid of the format).
static const int8_t iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Element e (0..255) of a block of 2-bit fields qs (Q2_K, and Q3_K's low bits): 32-byte
// halves of qs hold 128 elements, element 128h + 32s + l in bits 2s..2s+1 of byte 32h + l.
static inline int crumb_value(const uint8_t *qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3; }

// The signed 3-bit value (-4..3) of element e (0..255) of a Q3_K block.
static inline int q3_K_value(const blk_q3_K *b, int e) {
    return crumb_value(b->qs, e) - ((b->hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4);
}

// The scale (-32..31) of group g (0..15) of a Q3_K block: low 4 bits from scales[g % 8]
// (low nibble for g < 8), high 2 bits from scales[8 + g % 4] (bits 2(g / 4)..).
static inline int q3_K_scale(const uint8_t *s, int g) {
    int low = (g < 8 ? s[g] : s[g - 8] >> 4) & 0xF, high = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
    return (low | high << 4) - 32;
}

// The scale (-32..31) of sub-block ib (0..7) of an IQ4_XS block.
static inline int iq4_xs_scale(const blk_iq4_xs *b, int ib) {
    return (((b->scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | ((b->scales_h >> (2 * ib)) & 3) << 4) - 32;
}

// Scalar and AVX2 entry points of the low-bit types (lowbit.c, lowbit_avx2.c): the same
// contracts as tern_dequantize, tern_dot_scalar, tern_dot_avx2 and tern_dot4_avx2 for these four types.
int tern_dequantize_lowbit(int type, const void *src, float *dst, int64_t n);
tern_dot_fn tern_dot_lowbit_scalar(int type);
tern_dot_fn tern_dot_lowbit_avx2(int type);
tern_dot4_fn tern_dot4_lowbit_avx2(int type);
