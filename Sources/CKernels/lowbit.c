// Q2_K, Q3_K, IQ4_NL and IQ4_XS, portable: dequantization (the values the `gguf` package's
// numpy dequantization gives, bit for bit: every product of a scale and a value is exact in
// float) and the dot products against int8 activation blocks the AVX2 kernels are tested against.
#include "lowbit.h"

// Q2_K and Q3_K in the order of their elements: 128h + 32s + 16t + l is in bits 2s..2s+1 of
// byte 32h + 16t + l of qs, group g = 8h + 2s + t (Q3_K's high bit: bit 4h + s of hmask[16t + l]).
static void dq_q2_K(const blk_q2_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int h = 0; h < 2; h++)
            for (int s = 0; s < 4; s++)
                for (int t = 0; t < 2; t++, y += 16) {
                    uint8_t sc = b[i].scales[8 * h + 2 * s + t];
                    float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
                    const uint8_t *q = b[i].qs + 32 * h + 16 * t;
                    for (int l = 0; l < 16; l++) y[l] = dl * (float)((q[l] >> (2 * s)) & 3) - ml;
                }
    }
}

static void dq_q3_K(const blk_q3_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        for (int h = 0; h < 2; h++)
            for (int s = 0; s < 4; s++)
                for (int t = 0; t < 2; t++, y += 16) {
                    float dl = f16(b[i].d) * (float)q3_K_scale(b[i].scales, 8 * h + 2 * s + t);
                    const uint8_t *q = b[i].qs + 32 * h + 16 * t, *hm = b[i].hmask + 16 * t;
                    for (int l = 0; l < 16; l++) {
                        int v = ((q[l] >> (2 * s)) & 3) - ((hm[l] >> (4 * h + s)) & 1 ? 0 : 4);
                        y[l] = dl * (float)v;
                    }
                }
    }
}

static void dq_iq4_nl(const blk_iq4_nl *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32)
        for (int j = 0; j < 32; j++) y[j] = f16(b[i].d) * (float)iq4_values[block32_value(b[i].qs, 0, j)];
}

static void dq_iq4_xs(const blk_iq4_xs *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++)
        for (int ib = 0; ib < 8; ib++, y += 32) {
            float dl = f16(b[i].d) * (float)iq4_xs_scale(&b[i], ib);
            for (int j = 0; j < 32; j++) y[j] = dl * (float)iq4_values[block32_value(b[i].qs + 16 * ib, 0, j)];
        }
}

int tern_dequantize_lowbit(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case TERN_Q2_K: dq_q2_K(src, dst, n / 256); return 0;
    case TERN_Q3_K: dq_q3_K(src, dst, n / 256); return 0;
    case TERN_IQ4_NL: dq_iq4_nl(src, dst, n / 32); return 0;
    case TERN_IQ4_XS: dq_iq4_xs(src, dst, n / 256); return 0;
    default: return -1;
    }
}

// Q2_K: per group of 16, Σ q·a times its scale; the minimums come out of the activation's
// 16-element sums.
static float dot_q2_K(int k, const void *vw, const void *vx) {
    const blk_q2_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        int sumi = 0, summ = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int e = 16 * g; e < 16 * g + 16; e++) s += crumb_value(w[i].qs, e) * x[i].qs[e];
            sumi += (w[i].scales[g] & 0xF) * s;
            summ += (w[i].scales[g] >> 4) * x[i].bsums[g];
        }
        sum += x[i].d * (f16(w[i].d) * (float)sumi - f16(w[i].dmin) * (float)summ);
    }
    return sum;
}

// Q3_K: 16 groups of 16 with signed scales.
static float dot_q3_K(int k, const void *vw, const void *vx) {
    const blk_q3_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int e = 16 * g; e < 16 * g + 16; e++) s += q3_K_value(&w[i], e) * x[i].qs[e];
            sumi += q3_K_scale(w[i].scales, g) * s;
        }
        sum += f16(w[i].d) * x[i].d * (float)sumi;
    }
    return sum;
}

// Σ iq4_values[q]·a over one 32-element block of nibbles.
static inline int dot_iq4_block(const uint8_t *qs, const int8_t *a) {
    int s = 0;
    for (int j = 0; j < 32; j++) s += iq4_values[block32_value(qs, 0, j)] * a[j];
    return s;
}

static float dot_iq4_nl(int k, const void *vw, const void *vx) {
    const blk_iq4_nl *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) sum += f16(w[i].d) * x[i].d * (float)dot_iq4_block(w[i].qs, x[i].qs);
    return sum;
}

// IQ4_XS: 8 sub-blocks of 32 with signed scales, one integer sum per 256 elements.
static float dot_iq4_xs(int k, const void *vw, const void *vx) {
    const blk_iq4_xs *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        int sumi = 0;
        for (int ib = 0; ib < 8; ib++) sumi += iq4_xs_scale(&w[i], ib) * dot_iq4_block(w[i].qs + 16 * ib, x[i].qs + 32 * ib);
        sum += f16(w[i].d) * x[i].d * (float)sumi;
    }
    return sum;
}

tern_dot_fn tern_dot_lowbit_scalar(int type) {
    switch (type) {
    case TERN_Q2_K: return dot_q2_K;
    case TERN_Q3_K: return dot_q3_K;
    case TERN_IQ4_NL: return dot_iq4_nl;
    case TERN_IQ4_XS: return dot_iq4_xs;
    default: return 0;
    }
}
