// Dequantization of GGML block formats to float (the layouts are those of the GGUF format).
#include "quants.h"

static void dq_q4_0(const blk_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        float d = f16(b[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = d * ((b[i].qs[j] & 0xF) - 8);
            y[j + 16] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

static void dq_q4_1(const blk_q4_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        float d = f16(b[i].d), m = f16(b[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = d * (b[i].qs[j] & 0xF) + m;
            y[j + 16] = d * (b[i].qs[j] >> 4) + m;
        }
    }
}

static void dq_q5_0(const blk_q5_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        float d = f16(b[i].d);
        uint32_t qh;
        memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            int lo = (b[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            y[j] = d * (lo - 16);
            y[j + 16] = d * (hi - 16);
        }
    }
}

static void dq_q5_1(const blk_q5_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        float d = f16(b[i].d), m = f16(b[i].m);
        uint32_t qh;
        memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            int lo = (b[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
            int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            y[j] = d * lo + m;
            y[j + 16] = d * hi + m;
        }
    }
}

static void dq_q8_0(const blk_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32) {
        float d = f16(b[i].d);
        for (int j = 0; j < 32; j++) y[j] = d * b[i].qs[j];
    }
}

// Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins; each 32 bytes of qs hold two
// sub-blocks (low nibbles, then high nibbles).
static void dq_q4_K(const blk_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int j = 0; j < 4; j++, q += 32) {
            uint8_t sc, m;
            kquant_scale_min(2 * j, b[i].scales, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            kquant_scale_min(2 * j + 1, b[i].scales, &sc, &m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

// Q5_K: as Q4_K with a fifth bit per element in qh (bit 2j for the low half of group j,
// bit 2j+1 for the high half).
static void dq_q5_K(const blk_q5_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d), dmin = f16(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int j = 0; j < 4; j++, q += 32) {
            uint8_t sc, m;
            kquant_scale_min(2 * j, b[i].scales, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            kquant_scale_min(2 * j + 1, b[i].scales, &sc, &m);
            float d2 = d * sc, m2 = dmin * m;
            uint8_t u1 = (uint8_t)(1u << (2 * j)), u2 = (uint8_t)(2u << (2 * j));
            for (int l = 0; l < 32; l++) *y++ = d1 * ((q[l] & 0xF) + ((b[i].qh[l] & u1) ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * ((q[l] >> 4) + ((b[i].qh[l] & u2) ? 16 : 0)) - m2;
        }
    }
}

// Q6_K: 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh.
static void dq_q6_K(const blk_q6_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        float d = f16(b[i].d);
        const uint8_t *ql = b[i].ql, *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        for (int n = 0; n < 2; n++, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[is] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

int tern_dequantize(int type, const void *src, float *dst, int64_t n) {
    if (tern_using_avx2() && tern_dequantize_avx2(type, src, dst, n) == 0) return 0;
    switch (type) {
    case TERN_F32: memcpy(dst, src, (size_t)n * 4); return 0;
    case TERN_F16: { const uint16_t *h = src; for (int64_t i = 0; i < n; i++) dst[i] = f16(h[i]); return 0; }
    case TERN_BF16: { const uint16_t *h = src; for (int64_t i = 0; i < n; i++) dst[i] = bf16(h[i]); return 0; }
    case TERN_Q4_0: dq_q4_0(src, dst, n / 32); return 0;
    case TERN_Q4_1: dq_q4_1(src, dst, n / 32); return 0;
    case TERN_Q5_0: dq_q5_0(src, dst, n / 32); return 0;
    case TERN_Q5_1: dq_q5_1(src, dst, n / 32); return 0;
    case TERN_Q8_0: dq_q8_0(src, dst, n / 32); return 0;
    case TERN_Q4_K: dq_q4_K(src, dst, n / 256); return 0;
    case TERN_Q5_K: dq_q5_K(src, dst, n / 256); return 0;
    case TERN_Q6_K: dq_q6_K(src, dst, n / 256); return 0;
    default: return -1;
    }
}
