// AVX2 dot products of Q2_K, Q3_K, IQ4_NL and IQ4_XS against int8 activation blocks (the
// portable ones in lowbit.c are their reference). IQ4 grid lookups are one vpshufb per 32
// elements.
#include "avx2.h"

#if defined(__x86_64__)
// IQ4_NL against Q8_32: Σ over blocks of dw·dx·Σ grid·a.
AVX2 static float dot_iq4_nl(int k, const void *vw, const void *vx) {
    const blk_iq4_nl *w = vw; const act_q8_32 *x = vx;
    const __m256i table = iq4_table();
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 32; i++) {
        __m256i p = dot_ss(iq4_bytes(w[i].qs, table), _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[i].d) * x[i].d), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_ps(acc);
}

// The 16-bit scales of groups g (lanes 0..7) and g + 1 (lanes 8..15), for one 32-element row
// whose two halves belong to consecutive groups of 16.
AVX2 static inline __m256i group_scales(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo)); }

// IQ4_XS against Q8_256, n activation rows (1 or 4) against one weight row, one accumulator
// per row (the weight unpacked once for all rows; a row's result is the same alone or not).
// 32 bytes of nibbles hold sub-blocks 2c and 2c + 1 (16 bytes each): their low nibbles are both
// sub-blocks' first 16 elements, lane by lane, the high nibbles their last 16; the activation
// halves are paired to match. Per sub-block, Σ grid·a times its scale, summed as integers over
// the 256 elements (|sum| < 2^27).
AVX2 static inline __attribute__((always_inline)) void rows_iq4_xs(int k, const blk_iq4_xs *w, const void *const *vx, int n,
                                                                   float *out) {
    const __m256i table = iq4_table(), m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[4];
    for (int r = 0; r < n; r++) acc[r] = _mm256_setzero_ps();
    for (int i = 0; i < k / 256; i++) {
        __m256i sc[4], lo[4], hi[4];
        for (int c = 0; c < 4; c++) {
            sc[c] = group_scales(iq4_xs_scale(&w[i], 2 * c), iq4_xs_scale(&w[i], 2 * c + 1));
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * c));
            lo[c] = _mm256_shuffle_epi8(table, _mm256_and_si256(q, m4));
            hi[c] = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
        }
        float d = f16(w[i].d);
        for (int r = 0; r < n; r++) {
            const act_q8_256 *x = (const act_q8_256 *)vx[r] + i;
            __m256i sumi = _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                __m256i a0 = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * c));
                __m256i a1 = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * c + 32));
                __m256i plo = _mm256_maddubs_epi16(_mm256_sign_epi8(lo[c], lo[c]), _mm256_sign_epi8(_mm256_permute2x128_si256(a0, a1, 0x20), lo[c]));
                __m256i phi = _mm256_maddubs_epi16(_mm256_sign_epi8(hi[c], hi[c]), _mm256_sign_epi8(_mm256_permute2x128_si256(a0, a1, 0x31), hi[c]));
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_madd_epi16(plo, sc[c]), _mm256_madd_epi16(phi, sc[c])));
            }
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * x->d), _mm256_cvtepi32_ps(sumi), acc[r]);
        }
    }
    for (int r = 0; r < n; r++) out[r] = hsum_ps(acc[r]);
}

AVX2 static float dot_iq4_xs(int k, const void *w, const void *x) {
    float y;
    rows_iq4_xs(k, w, &x, 1, &y);
    return y;
}

AVX2 static void dot4_iq4_xs(int k, const void *w, const void *const *x, float *out) { rows_iq4_xs(k, w, x, 4, out); }

// Q2_K against Q8_256: rows of 32 two-bit values (element 128h + 32s + l from bits 2s of
// qs[32h + l]) times their group scales; the minimums from the activation's 16-element sums.
AVX2 static float dot_q2_K(int k, const void *vw, const void *vx) {
    const blk_q2_K *w = vw; const act_q8_256 *x = vx;
    const __m256i m3 = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int i = 0; i < k / 256; i++) {
        const uint8_t *sc = w[i].scales;
        __m256i sumi = _mm256_setzero_si256();
        int summ = 0;
        for (int g = 0; g < 16; g++) summ += (sc[g] >> 4) * x[i].bsums[g];
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * h));
            for (int s = 0; s < 4; s++) {
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), m3);
                __m256i a = _mm256_loadu_si256((const __m256i *)(x[i].qs + 128 * h + 32 * s));
                int g = 8 * h + 2 * s;
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(v, a), group_scales(sc[g] & 0xF, sc[g + 1] & 0xF)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[i].d) * x[i].d), _mm256_cvtepi32_ps(sumi), acc);
        mins += f16(w[i].dmin) * x[i].d * (float)summ;
    }
    return hsum_ps(acc) - mins;
}

// Q3_K against Q8_256: (low - 4·[high bit clear]) · a = low·a - 4·[clear]·a, both
// unsigned-by-signed, times the signed group scales.
AVX2 static float dot_q3_K(int k, const void *vw, const void *vx) {
    const blk_q3_K *w = vw; const act_q8_256 *x = vx;
    const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 256; i++) {
        int sc[16];
        for (int g = 0; g < 16; g++) sc[g] = q3_K_scale(w[i].scales, g);
        __m256i hm = _mm256_loadu_si256((const __m256i *)w[i].hmask), sumi = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * h));
            for (int s = 0; s < 4; s++) {
                __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + s)));
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), m3);
                __m256i sub = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), four);
                __m256i a = _mm256_loadu_si256((const __m256i *)(x[i].qs + 128 * h + 32 * s));
                __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(v, a), _mm256_maddubs_epi16(sub, a));
                int g = 8 * h + 2 * s;
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, group_scales(sc[g], sc[g + 1])));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[i].d) * x[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc);
}

tern_dot_fn tern_dot_lowbit_avx2(int type) {
    switch (type) {
    case TERN_Q2_K: return dot_q2_K;
    case TERN_Q3_K: return dot_q3_K;
    case TERN_IQ4_NL: return dot_iq4_nl;
    case TERN_IQ4_XS: return dot_iq4_xs;
    default: return 0;
    }
}

tern_dot4_fn tern_dot4_lowbit_avx2(int type) { return type == TERN_IQ4_XS ? dot4_iq4_xs : 0; }
#else
tern_dot_fn tern_dot_lowbit_avx2(int type) { (void)type; return 0; }
tern_dot4_fn tern_dot4_lowbit_avx2(int type) { (void)type; return 0; }
#endif
