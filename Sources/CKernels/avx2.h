// Internal: the AVX2/FMA/F16C target of the AVX2 kernels (chosen at run time) and the vector
// helpers they share: horizontal reductions and the unpacking of 32-element weight blocks.
#pragma once
#include "lowbit.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma,f16c")))

// The sum of the 8 lanes.
AVX2 static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The largest of the 8 lanes.
AVX2 static inline float hmax_ps(__m256 v) {
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// The sum of the 8 int32 lanes.
AVX2 static inline int hsum_epi32(__m256i v) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    return _mm_cvtsi128_si32(t);
}

// Sum of products of 32 unsigned bytes u and 32 signed bytes s, as 8 int32.
AVX2 static inline __m256i dot_us(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Sum of products of 32 signed bytes a and 32 signed bytes b, as 8 int32.
AVX2 static inline __m256i dot_ss(__m256i a, __m256i b) {
    return dot_us(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

// 16 bytes of nibbles → 32 bytes: low nibbles (elements 0..15) then high nibbles (16..31).
AVX2 static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits → 32 bytes, 0xFF where the bit is set.
AVX2 static inline __m256i bits_to_bytes(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), shuf);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// The 32 weights of a block as bytes: signed for Q4_0, Q5_0 and Q8_0, unsigned for Q4_1 and Q5_1.
AVX2 static inline __m256i q4_0_bytes(const blk_q4_0 *b) { return _mm256_sub_epi8(unpack_nibbles(b->qs), _mm256_set1_epi8(8)); }
AVX2 static inline __m256i q4_1_bytes(const blk_q4_1 *b) { return unpack_nibbles(b->qs); }
// value = (nibble | bit << 4) - 16: where the bit is clear, OR-ing 0xF0 subtracts 16.
AVX2 static inline __m256i q5_0_bytes(const blk_q5_0 *b) {
    return _mm256_or_si256(unpack_nibbles(b->qs), _mm256_andnot_si256(bits_to_bytes(b->qh), _mm256_set1_epi8((char)0xF0)));
}
AVX2 static inline __m256i q5_1_bytes(const blk_q5_1 *b) {
    return _mm256_or_si256(unpack_nibbles(b->qs), _mm256_and_si256(bits_to_bytes(b->qh), _mm256_set1_epi8(0x10)));
}
AVX2 static inline __m256i q8_0_bytes(const blk_q8_0 *b) { return _mm256_loadu_si256((const __m256i *)b->qs); }
// The 16 IQ4 grid values in both 128-bit lanes (for vpshufb), and the 32 grid values of one
// IQ4 block (IQ4_NL's, or a 32-element sub-block of IQ4_XS) from its 16 bytes of nibbles.
AVX2 static inline __m256i iq4_table(void) { return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4_values)); }
AVX2 static inline __m256i iq4_bytes(const uint8_t *qs, __m256i table) { return _mm256_shuffle_epi8(table, unpack_nibbles(qs)); }

// One half (128 elements) of a Q6_K block as four rows of 32 six-bit values (0..63): q[t]
// holds elements 32t..32t+31 of the half.
AVX2 static inline void q6_K_half(const uint8_t *ql, const uint8_t *qh, __m256i q[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
    __m256i h = _mm256_loadu_si256((const __m256i *)qh);
    q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4));
}

// e^x for x <= 0 (clamped at -87, where it is below FLT_MIN anyway): x = k·ln2 + r with
// |r| <= ln2/2 (ln2 split in two for an exact k·ln2), e^r by its Taylor series to r^6
// (truncation below 1.3e-7 relative), 2^k through the exponent bits.
AVX2 static inline __m256 exp_nonpositive_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

#endif
