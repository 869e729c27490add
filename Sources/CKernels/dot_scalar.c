// Portable dot products: weight blocks times activation blocks, integer sums per block.
// These are the reference the AVX2 kernels are tested against.
#include "quants.h"

static float dot_q4_0(int k, const void *vw, const void *vx) {
    const blk_q4_0 *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += ((w[i].qs[j] & 0xF) - 8) * x[i].qs[j] + ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
        sum += f16(w[i].d) * x[i].d * (float)s;
    }
    return sum;
}

static float dot_q4_1(int k, const void *vw, const void *vx) {
    const blk_q4_1 *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) {
        int s = 0;
        for (int j = 0; j < 16; j++) s += (w[i].qs[j] & 0xF) * x[i].qs[j] + (w[i].qs[j] >> 4) * x[i].qs[j + 16];
        sum += f16(w[i].d) * x[i].d * (float)s + f16(w[i].m) * x[i].s;
    }
    return sum;
}

static float dot_q5_0(int k, const void *vw, const void *vx) {
    const blk_q5_0 *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) {
        uint32_t qh; memcpy(&qh, w[i].qh, 4);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            int lo = ((w[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4)) - 16;
            int hi = ((w[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            s += lo * x[i].qs[j] + hi * x[i].qs[j + 16];
        }
        sum += f16(w[i].d) * x[i].d * (float)s;
    }
    return sum;
}

static float dot_q5_1(int k, const void *vw, const void *vx) {
    const blk_q5_1 *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) {
        uint32_t qh; memcpy(&qh, w[i].qh, 4);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            int lo = (w[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            int hi = (w[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            s += lo * x[i].qs[j] + hi * x[i].qs[j + 16];
        }
        sum += f16(w[i].d) * x[i].d * (float)s + f16(w[i].m) * x[i].s;
    }
    return sum;
}

static float dot_q8_0(int k, const void *vw, const void *vx) {
    const blk_q8_0 *w = vw; const act_q8_32 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 32; i++) {
        int s = 0;
        for (int j = 0; j < 32; j++) s += w[i].qs[j] * x[i].qs[j];
        sum += f16(w[i].d) * x[i].d * (float)s;
    }
    return sum;
}

static float dot_q4_K(int k, const void *vw, const void *vx) {
    const blk_q4_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        const uint8_t *q = w[i].qs;
        const int8_t *a = x[i].qs;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 4; j++, q += 32, a += 64) {
            uint8_t sc1, m1, sc2, m2;
            kquant_scale_min(2 * j, w[i].scales, &sc1, &m1);
            kquant_scale_min(2 * j + 1, w[i].scales, &sc2, &m2);
            int s1 = 0, s2 = 0;
            for (int l = 0; l < 32; l++) { s1 += (q[l] & 0xF) * a[l]; s2 += (q[l] >> 4) * a[l + 32]; }
            sumi += sc1 * s1 + sc2 * s2;
            summ += m1 * (x[i].bsums[4 * j] + x[i].bsums[4 * j + 1]) + m2 * (x[i].bsums[4 * j + 2] + x[i].bsums[4 * j + 3]);
        }
        sum += x[i].d * (f16(w[i].d) * (float)sumi - f16(w[i].dmin) * (float)summ);
    }
    return sum;
}

static float dot_q5_K(int k, const void *vw, const void *vx) {
    const blk_q5_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        const uint8_t *q = w[i].qs;
        const int8_t *a = x[i].qs;
        int sumi = 0, summ = 0;
        for (int j = 0; j < 4; j++, q += 32, a += 64) {
            uint8_t sc1, m1, sc2, m2;
            kquant_scale_min(2 * j, w[i].scales, &sc1, &m1);
            kquant_scale_min(2 * j + 1, w[i].scales, &sc2, &m2);
            int s1 = 0, s2 = 0;
            for (int l = 0; l < 32; l++) {
                int lo = (q[l] & 0xF) + (((w[i].qh[l] >> (2 * j)) & 1) << 4);
                int hi = (q[l] >> 4) + (((w[i].qh[l] >> (2 * j + 1)) & 1) << 4);
                s1 += lo * a[l];
                s2 += hi * a[l + 32];
            }
            sumi += sc1 * s1 + sc2 * s2;
            summ += m1 * (x[i].bsums[4 * j] + x[i].bsums[4 * j + 1]) + m2 * (x[i].bsums[4 * j + 2] + x[i].bsums[4 * j + 3]);
        }
        sum += x[i].d * (f16(w[i].d) * (float)sumi - f16(w[i].dmin) * (float)summ);
    }
    return sum;
}

static float dot_q6_K(int k, const void *vw, const void *vx) {
    const blk_q6_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        const uint8_t *ql = w[i].ql, *qh = w[i].qh;
        const int8_t *sc = w[i].scales, *a = x[i].qs;
        int sumi = 0;
        for (int n = 0; n < 2; n++, ql += 64, qh += 32, sc += 8, a += 128) {
            int s[8] = {0};
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                s[is + 0] += ((int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32) * a[l];
                s[is + 2] += ((int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32) * a[l + 32];
                s[is + 4] += ((int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * a[l + 64];
                s[is + 6] += ((int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * a[l + 96];
            }
            for (int t = 0; t < 8; t++) sumi += sc[t] * s[t];
        }
        sum += f16(w[i].d) * x[i].d * (float)sumi;
    }
    return sum;
}

static float dot_f32(int k, const void *vw, const void *vx) {
    const float *w = vw, *x = vx;
    float s = 0;
    for (int i = 0; i < k; i++) s += w[i] * x[i];
    return s;
}

static float dot_f16(int k, const void *vw, const void *vx) {
    const uint16_t *w = vw; const float *x = vx;
    float s = 0;
    for (int i = 0; i < k; i++) s += f16(w[i]) * x[i];
    return s;
}

static float dot_bf16(int k, const void *vw, const void *vx) {
    const uint16_t *w = vw; const float *x = vx;
    float s = 0;
    for (int i = 0; i < k; i++) s += bf16(w[i]) * x[i];
    return s;
}

tern_dot_fn tern_dot_scalar(int type) {
    switch (type) {
    case TERN_F32: return dot_f32;
    case TERN_F16: return dot_f16;
    case TERN_BF16: return dot_bf16;
    case TERN_Q4_0: return dot_q4_0;
    case TERN_Q4_1: return dot_q4_1;
    case TERN_Q5_0: return dot_q5_0;
    case TERN_Q5_1: return dot_q5_1;
    case TERN_Q8_0: return dot_q8_0;
    case TERN_Q4_K: return dot_q4_K;
    case TERN_Q5_K: return dot_q5_K;
    case TERN_Q6_K: return dot_q6_K;
    default: return 0;
    }
}
