// AVX2 kernels for the packed layouts of the AVX-512 ones (Q4_0, Q4_1, Q5_0/Q8_0, Q4_K, Q5_K, Q6_K
// and IQ4_XS; layouts in packed_avx512.c and packed_<type>_avx512.c), so CPUs without AVX-512 VNNI
// keep one weight row per 32-bit lane too: a 64-byte line of a group is two halves of eight
// rows, one ymm each. vpmaddubsw of four unsigned weight bytes per lane against four
// broadcast activation bytes gives each of 8 rows its products at once, and the convert,
// scale and FMA that row-by-row kernels pay per row and block are paid once per 8 rows (1B
// shape, pp512 on AVX2: Q4_0 95 → 217 tok/s against the row-by-row register tiles this
// replaced). Nibble products are summed in int16 over a block (at most 8 · 2 · 15 · 127 =
// 30,480, no saturation) and widened once; signed bytes (Q5_0, Q8_0, IQ4_XS's grid) take the
// sign trick and are widened per four. A row's result is Σ over blocks, in order, of
// float(Σ q·x) · (dw·dx), identical to the AVX-512 kernels' for Q4_0, Q4_1, Q5_0, Q8_0 and
// IQ4_XS (the block sums are exact integers either way); Q4_K, Q5_K and Q6_K sum a whole
// 256-element block as one integer (scales applied by vpmaddwd) before its one convert.
// Each output is the same whatever the number of activation rows (batch invariance).
#include "avx2.h"

#if defined(__x86_64__)
enum { MAX_N = 8 };  // activation rows per kernel call at most (per-row sums on the stack)

// Four activation bytes at a broadcast to every lane.
AVX2 static inline __m256i four(const int8_t *a) {
    int32_t v;
    memcpy(&v, a, 4);
    return _mm256_set1_epi32(v);
}

// Eight 8-bit values at p as int32 lanes holding the value in both int16 halves (vpmaddwd's
// multiplier for a lane's two int16 sums).
AVX2 static inline __m256i pairs(const uint8_t *p) {
    __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
}

// Lanes of y (eight floats) set where bit i of mask8 is, from v.
AVX2 static inline void store_lanes(float *y, unsigned mask8, __m256 v) {
    if (mask8 == 0xFF) {
        _mm256_storeu_ps(y, v);
        return;
    }
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)mask8), bit), bit);
    _mm256_maskstore_ps(y, m, v);
}

// The int16 sums of one 32-element block of nibbles (four 32-byte lines at qs, 64 bytes apart:
// low nibbles are elements 4t+e, high nibbles 16+4t+e) against n activation rows' bytes a[r].
AVX2 static inline __attribute__((always_inline)) void nibble_block(const uint8_t *qs, const int8_t *const *a, int n, __m256i *s) {
    const __m256i low = _mm256_set1_epi8(0x0F);
#pragma clang loop unroll(full)
    for (int t = 0; t < 4; t++) {
        __m256i raw = _mm256_load_si256((const __m256i *)(qs + 64 * t));
        __m256i lo = _mm256_and_si256(raw, low), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
#pragma clang loop unroll(full)
        for (int r = 0; r < n; r++) {
            __m256i ps = _mm256_add_epi16(_mm256_maddubs_epi16(lo, four(a[r] + 4 * t)), _mm256_maddubs_epi16(hi, four(a[r] + 16 + 4 * t)));
            s[r] = t ? _mm256_add_epi16(s[r], ps) : ps;
        }
    }
}

// The kernels: halves h0..h0+nh-1 of a group (half h: rows 8h..8h+7), block by block, against
// n activation rows, into accs[(h - h0) * n + r].

// Q4_0.
AVX2 static inline __attribute__((always_inline)) void q4_0_half8(const uint8_t *p, int nb, const act_q8_32x *const *x, int n,
                                                                 int h0, int nh, __m256 *accs) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            const uint8_t *pair = p + (size_t)(b / 2) * Q4_0_GROUP_PAIR, *qs = pair + 256 * (b % 2) + 32 * h;
            if (h == 0)
                for (int l = b % 2 ? 5 : 0; l < (b % 2 ? 9 : 5); l++) _mm_prefetch((const char *)pair + PREFETCH + 64 * l, _MM_HINT_T0);
            __m256 dw = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(pair + 512 + 32 * (b % 2) + 16 * h)));
            __m256i s[MAX_N];
            const int8_t *qx[MAX_N];  // the activation rows' bytes of block b
            for (int r = 0; r < n; r++) qx[r] = x[r][b].qs;
            nibble_block(qs, qx, n, s);
#pragma clang loop unroll(full)
            for (int r = 0; r < n; r++) {
                const act_q8_32x *a = x[r] + b;
                __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(s[r], ones), _mm256_set1_epi32(a->c / 16));
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dw, _mm256_set1_ps(a->d)), acc[r]);
            }
        }
    }
}

// Q5_0 and Q8_0 (stored as w + 128).
AVX2 static inline __attribute__((always_inline)) void i8_half8(const uint8_t *p, int nb, const act_q8_32x *const *x, int n, int h0,
                                                               int nh, __m256 *accs) {
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    const uint16_t *d = (const uint16_t *)(p + (size_t)nb * 512);
    for (int b = 0; b < nb; b++) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            const uint8_t *qs = p + 512 * (size_t)b + 32 * h;
            if (h == 0)
                for (int l = 0; l < 8; l++) _mm_prefetch((const char *)qs + PREFETCH + 64 * l, _MM_HINT_T0);
            __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(d + 16 * b + 8 * h)));
            __m256i s[MAX_N];
#pragma clang loop unroll(full)
            for (int j = 0; j < 8; j++) {
                __m256i w = _mm256_xor_si256(_mm256_load_si256((const __m256i *)(qs + 64 * j)), flip);
                __m256i aw = _mm256_abs_epi8(w);  // -128 becomes 0x80, which vpmaddubsw reads as 128
#pragma clang loop unroll(full)
                for (int r = 0; r < n; r++) {
                    __m256i prod = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(four(x[r][b].qs + 4 * j), w)), ones);
                    s[r] = j ? _mm256_add_epi32(s[r], prod) : prod;
                }
            }
#pragma clang loop unroll(full)
            for (int r = 0; r < n; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r]), _mm256_mul_ps(dw, _mm256_set1_ps(x[r][b].d)), acc[r]);
        }
    }
}

// Q4_K (five = 0) and Q5_K (five = 1, a constant: each copy is specialized). Per block,
// Σ over sub-blocks of sc·Σ q·x and Σ m·Σx are integers (at most 8 · 63 · 32 · 31 · 127 in
// magnitude), each converted once: acc += float(Σ sc·q·x)·(d·dx), then acc -= float(Σ m·Σx)·
// (dmin·dx). Q5_K's fifth bits (one 64-bit mask per vector, four bits a row: a half's 32 bits
// are its 32 bytes) complete the nibbles; its products (up to 2 · 31 · 127 a pair) are summed
// in int16 over two of the four vectors at a time.
AVX2 static inline __attribute__((always_inline)) void k45_half8(const uint8_t *p, int nb, const act_q8_256 *const *x, int n, int h0,
                                                                int nh, __m256 *accs, int five) {
    const size_t stride = five ? Q5_K_GROUP_BLOCK : Q4_K_GROUP_BLOCK;
    const int lines = five ? 6 : 5;  // per sub-block, to prefetch all 45 (37) lines of a block
    const __m256i low = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(16);
    for (int b = 0; b < nb; b++, p += stride) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            const uint8_t *sc = p + 2048, *mn = sc + 128;
            __m256i isum[MAX_N];
            for (int r = 0; r < n; r++) isum[r] = _mm256_setzero_si256();
            for (int s = 0; s < 8; s++) {
                if (h == 0)
                    for (int l = lines * s; l < lines * s + lines; l++) _mm_prefetch((const char *)p + PREFETCH + 64 * l, _MM_HINT_T0);
                __m256i p16[MAX_N], scv = pairs(sc + 16 * s + 8 * h);
                const uint8_t *mk = p + Q4_K_GROUP_BLOCK + 64 * s + 4 * h;  // Q5_K: the half's bits of each vector's mask
#pragma clang loop unroll(full)
                for (int t = 0; t < 4; t++) {
                    __m256i raw = _mm256_load_si256((const __m256i *)(p + 256 * s + 64 * t + 32 * h));
                    __m256i lo = _mm256_and_si256(raw, low), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
                    if (five) {
                        lo = _mm256_or_si256(lo, _mm256_and_si256(bits_to_bytes(mk + 8 * t), sixteen));
                        hi = _mm256_or_si256(hi, _mm256_and_si256(bits_to_bytes(mk + 8 * (t + 4)), sixteen));
                    }
#pragma clang loop unroll(full)
                    for (int r = 0; r < n; r++) {
                        const int8_t *a = x[r][b].qs + 32 * s;
                        __m256i ps = _mm256_add_epi16(_mm256_maddubs_epi16(lo, four(a + 4 * t)), _mm256_maddubs_epi16(hi, four(a + 16 + 4 * t)));
                        p16[r] = t % (five ? 2 : 4) ? _mm256_add_epi16(p16[r], ps) : ps;
                        if (t == 3 || (five && t == 1)) isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(p16[r], scv));
                    }
                }
            }
            __m256i msum[MAX_N];
            for (int r = 0; r < n; r++) msum[r] = _mm256_setzero_si256();
            for (int s = 0; s < 8; s++) {
                __m256i mv = pairs(mn + 16 * s + 8 * h);
#pragma clang loop unroll(full)
                for (int r = 0; r < n; r++) {
                    int32_t two;
                    memcpy(&two, x[r][b].bsums + 2 * s, 4);
                    msum[r] = _mm256_add_epi32(msum[r], _mm256_madd_epi16(mv, _mm256_set1_epi32(two)));
                }
            }
            __m256 dv = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(mn + 128 + 16 * h)));
            __m256 dminv = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(mn + 160 + 16 * h)));
#pragma clang loop unroll(full)
            for (int r = 0; r < n; r++) {
                __m256 dx = _mm256_set1_ps(x[r][b].d);
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), _mm256_mul_ps(dv, dx), acc[r]);
                acc[r] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum[r]), _mm256_mul_ps(dminv, dx), acc[r]);
            }
        }
    }
}

AVX2 static inline __attribute__((always_inline)) void q4_K_half8(const uint8_t *p, int nb, const act_q8_256 *const *x, int n, int h0,
                                                                 int nh, __m256 *accs) {
    k45_half8(p, nb, x, n, h0, nh, accs, 0);
}

AVX2 static inline __attribute__((always_inline)) void q5_K_half8(const uint8_t *p, int nb, const act_q8_256 *const *x, int n, int h0,
                                                                 int nh, __m256 *accs) {
    k45_half8(p, nb, x, n, h0, nh, accs, 1);
}

// Q4_1 (d·q + m against act_q8_32's d and s = d·Σx).
AVX2 static inline __attribute__((always_inline)) void q4_1_half8(const uint8_t *p, int nb, const act_q8_32 *const *x, int n, int h0,
                                                                 int nh, __m256 *accs) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++, p += Q4_1_GROUP_BLOCK) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            if (h == 0)
                for (int c = 0; c < Q4_1_GROUP_BLOCK; c += 64) _mm_prefetch((const char *)p + PREFETCH + c, _MM_HINT_T0);
            __m256 dw = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p + 256 + 16 * h)));
            __m256 mw = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p + 288 + 16 * h)));
            __m256i s[MAX_N];
            const int8_t *qx[MAX_N];  // the activation rows' bytes of block b
            for (int r = 0; r < n; r++) qx[r] = x[r][b].qs;
            nibble_block(p + 32 * h, qx, n, s);
#pragma clang loop unroll(full)
            for (int r = 0; r < n; r++) {
                const act_q8_32 *a = x[r] + b;
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(s[r], ones)), _mm256_mul_ps(dw, _mm256_set1_ps(a->d)), acc[r]);
                acc[r] = _mm256_fmadd_ps(mw, _mm256_set1_ps(a->s), acc[r]);
            }
        }
    }
}

// IQ4_XS: the nibbles through the grid (signed values, the sign trick), per sub-block
// float(Σ value·x)·(d·(scale - 32)·dx) as the AVX-512 kernel computes it.
AVX2 static inline __attribute__((always_inline)) void iq4_xs_half8(const uint8_t *p, int nb, const act_q8_256 *const *x, int n,
                                                                   int h0, int nh, __m256 *accs) {
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1), grid = iq4_table();
    for (int b = 0; b < nb; b++, p += IQ4_XS_GROUP_BLOCK) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            __m256 dv = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p + 2144 + 16 * h)));
            __m256i sl = _mm256_load_si256((const __m256i *)(p + 2048 + 32 * h));
            __m256i sh = _mm256_cvtepu16_epi32(_mm_load_si128((const __m128i *)(p + 2112 + 16 * h)));
            for (int s = 0; s < 8; s++) {
                if (h == 0)
                    for (int l = 5 * s; l < 5 * s + 5; l++) _mm_prefetch((const char *)p + PREFETCH + 64 * l, _MM_HINT_T0);
                __m256i lowbits = _mm256_and_si256(_mm256_srli_epi32(sl, 4 * s), _mm256_set1_epi32(0xF));
                __m256i highbits = _mm256_and_si256(_mm256_srli_epi32(sh, 2 * s), _mm256_set1_epi32(3));
                __m256i scale = _mm256_sub_epi32(_mm256_or_si256(lowbits, _mm256_slli_epi32(highbits, 4)), _mm256_set1_epi32(32));
                __m256 ds = _mm256_mul_ps(_mm256_cvtepi32_ps(scale), dv);
                __m256i sum[MAX_N];
#pragma clang loop unroll(full)
                for (int t = 0; t < 4; t++) {
                    __m256i raw = _mm256_load_si256((const __m256i *)(p + 256 * s + 64 * t + 32 * h));
                    __m256i w[2] = {_mm256_shuffle_epi8(grid, _mm256_and_si256(raw, low)),
                                    _mm256_shuffle_epi8(grid, _mm256_and_si256(_mm256_srli_epi16(raw, 4), low))};
                    __m256i aw[2] = {_mm256_abs_epi8(w[0]), _mm256_abs_epi8(w[1])};
#pragma clang loop unroll(full)
                    for (int r = 0; r < n; r++) {
                        const int8_t *a = x[r][b].qs + 32 * s;
                        __m256i prod = _mm256_add_epi32(
                            _mm256_madd_epi16(_mm256_maddubs_epi16(aw[0], _mm256_sign_epi8(four(a + 4 * t), w[0])), ones),
                            _mm256_madd_epi16(_mm256_maddubs_epi16(aw[1], _mm256_sign_epi8(four(a + 16 + 4 * t), w[1])), ones));
                        sum[r] = t ? _mm256_add_epi32(sum[r], prod) : prod;
                    }
                }
#pragma clang loop unroll(full)
                for (int r = 0; r < n; r++)
                    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r]), _mm256_mul_ps(ds, _mm256_set1_ps(x[r][b].d)), acc[r]);
            }
        }
    }
}

// Eight int8 at p as int32 lanes holding the value in both int16 halves.
AVX2 static inline __m256i signed_pairs(const int8_t *p) {
    __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(v, 16));
}

// Q6_K: q (0..63) from a nibble and two top bits; products summed in int16 two at a time
// (2 · 2 · 63 · 127 = 32,004); per block Σ sc·Σ q·x - 32·Σ sc·Σx as one integer (at most
// 16 · 128 · 16 · 63 · 127 plus 32 · 128 · 16 · 127 · 16 in magnitude), converted once and
// scaled by d·dx.
AVX2 static inline __attribute__((always_inline)) void q6_K_half8(const uint8_t *p, int nb, const act_q8_256 *const *x, int n, int h0,
                                                                 int nh, __m256 *accs) {
    const __m256i low = _mm256_set1_epi8(0x0F), top = _mm256_set1_epi8(0x30);
    for (int b = 0; b < nb; b++, p += Q6_K_GROUP_BLOCK) {
        for (int hh = 0; hh < nh; hh++) {
            const int h = h0 + hh;
            __m256 *acc = accs + hh * n;
            const int8_t *sc = (const int8_t *)(p + 3072);
            __m256i isum[MAX_N];
            for (int r = 0; r < n; r++) isum[r] = _mm256_setzero_si256();
            for (int s = 0; s < 16; s++) {
                if (h == 0 && s % 2 == 0)
                    for (int l = 7 * (s / 2); l < 7 * (s / 2) + 7; l++) _mm_prefetch((const char *)p + 2 * PREFETCH + 64 * l, _MM_HINT_T0);
                int shift = 2 * (s % 4);
                __m256i scv = signed_pairs(sc + 16 * s + 8 * h), part[MAX_N];
#pragma clang loop unroll(full)
                for (int t = 0; t < 4; t++) {
                    __m256i lo = _mm256_load_si256((const __m256i *)(p + 256 * (s / 2) + 64 * t + 32 * h));
                    __m256i hi = _mm256_load_si256((const __m256i *)(p + 2048 + 256 * (s / 4) + 64 * t + 32 * h));
                    hi = shift <= 4 ? _mm256_slli_epi16(hi, 4 - shift) : _mm256_srli_epi16(hi, shift - 4);
                    __m256i nib = s % 2 ? _mm256_srli_epi16(lo, 4) : lo;
                    __m256i w = _mm256_or_si256(_mm256_and_si256(nib, low), _mm256_and_si256(hi, top));
#pragma clang loop unroll(full)
                    for (int r = 0; r < n; r++) {
                        __m256i m = _mm256_maddubs_epi16(w, four(x[r][b].qs + 16 * s + 4 * t));
                        if (t % 2 == 0) {
                            part[r] = m;
                        } else {
                            isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(_mm256_add_epi16(part[r], m), scv));
                        }
                    }
                }
            }
            for (int s = 0; s < 16; s += 2) {
                __m256i a = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(sc + 16 * s + 8 * h)));
                __m256i c = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(sc + 16 * (s + 1) + 8 * h)));
                __m256i two_sc = _mm256_or_si256(_mm256_and_si256(a, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(c, 16));
#pragma clang loop unroll(full)
                for (int r = 0; r < n; r++) {
                    int32_t two;
                    memcpy(&two, x[r][b].bsums + s, 4);
                    __m256i m = _mm256_madd_epi16(two_sc, _mm256_set1_epi32(two));
                    isum[r] = _mm256_sub_epi32(isum[r], _mm256_slli_epi32(m, 5));
                }
            }
            __m256 dv = _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p + 3328 + 16 * h)));
#pragma clang loop unroll(full)
            for (int r = 0; r < n; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), _mm256_mul_ps(dv, _mm256_set1_ps(x[r][b].d)), acc[r]);
        }
    }
}

// One group against n activation rows (n = 1 to 6, a constant in each copy); y[r * ldy + i]
// for the lanes i set in mask. One or two rows take both halves block by block, so each
// block's lines are read once, as they stream in (decode); three or four take a half at a
// time (their accumulators would not fit in registers twice; five and six spill a little, still
// cheaper than a second pass of four and one or two).
#define HALVES(name, act, n)                                                                                           \
    AVX2 static void name##_avx2_##n(const uint8_t *p, int nb, const void *const *x, float *y, int ldy, uint16_t mask) { \
        __m256 acc[2 * n];                                                                                             \
        if (n <= 2 && (mask & 0xFF) && (mask >> 8)) {                                                                  \
            for (int r = 0; r < 2 * n; r++) acc[r] = _mm256_setzero_ps();                                              \
            name##_half8(p, nb, (const act *const *)x, n, 0, 2, acc);                                                  \
            for (int h = 0; h < 2; h++)                                                                                \
                for (int r = 0; r < n; r++) store_lanes(y + (size_t)r * ldy + 8 * h, (mask >> (8 * h)) & 0xFF, acc[h * n + r]); \
            return;                                                                                                    \
        }                                                                                                              \
        for (int h = 0; h < 2; h++) {                                                                                  \
            unsigned m8 = (mask >> (8 * h)) & 0xFF;                                                                    \
            if (!m8) continue;                                                                                         \
            for (int r = 0; r < n; r++) acc[r] = _mm256_setzero_ps();                                                  \
            name##_half8(p, nb, (const act *const *)x, n, h, 1, acc);                                                  \
            for (int r = 0; r < n; r++) store_lanes(y + (size_t)r * ldy + 8 * h, m8, acc[r]);                         \
        }                                                                                                              \
    }
#define GROUP_FNS_AVX2(name, act)                                                                                      \
    HALVES(name, act, 1) HALVES(name, act, 2) HALVES(name, act, 3) HALVES(name, act, 4) HALVES(name, act, 5)           \
    HALVES(name, act, 6) HALVES(name, act, 7) HALVES(name, act, 8)                                                     \
    tern_group_fn tern_##name##_group_fn_avx2(int n) {                                                                 \
        static const tern_group_fn fns[] = {0, name##_avx2_1, name##_avx2_2, name##_avx2_3, name##_avx2_4,             \
                                            name##_avx2_5, name##_avx2_6, name##_avx2_7, name##_avx2_8};               \
        return n >= 1 && n <= 8 ? fns[n] : 0;                                                                          \
    }
GROUP_FNS_AVX2(q4_0, act_q8_32x)
GROUP_FNS_AVX2(i8, act_q8_32x)
GROUP_FNS_AVX2(q4_K, act_q8_256)
GROUP_FNS_AVX2(q5_K, act_q8_256)
GROUP_FNS_AVX2(q4_1, act_q8_32)
GROUP_FNS_AVX2(iq4_xs, act_q8_256)
GROUP_FNS_AVX2(q6_K, act_q8_256)
#else
tern_group_fn tern_q4_0_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_i8_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_q4_K_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_q5_K_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_q4_1_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_iq4_xs_group_fn_avx2(int n) { (void)n; return 0; }
tern_group_fn tern_q6_K_group_fn_avx2(int n) { (void)n; return 0; }
#endif
