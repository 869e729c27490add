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

// IQ4_XS against Q8_256: per sub-block of 32, Σ grid·a times its scale, summed as integers
// over the 256 elements (|sum| < 2^27).
AVX2 static float dot_iq4_xs(int k, const void *vw, const void *vx) {
    const blk_iq4_xs *w = vw; const act_q8_256 *x = vx;
    const __m256i table = iq4_table();
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < k / 256; i++) {
        __m256i sumi = _mm256_setzero_si256();
        for (int ib = 0; ib < 8; ib++) {
            __m256i q = iq4_bytes(w[i].qs + 16 * ib, table);
            __m256i a = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * ib));
            __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q));
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, _mm256_set1_epi16((short)iq4_xs_scale(&w[i], ib))));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[i].d) * x[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc);
}

// The 16-bit scales of groups g (lanes 0..7) and g + 1 (lanes 8..15), for one 32-element row
// whose two halves belong to consecutive groups of 16.
AVX2 static inline __m256i group_scales(int lo, int hi) { return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo)); }

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
#else
tern_dot_fn tern_dot_lowbit_avx2(int type) { (void)type; return 0; }
#endif
