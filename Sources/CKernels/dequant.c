// Dequantization of GGML block formats to float (the layouts are those of the GGUF format).
#include "lowbit.h"

// The 32-element nibble types: y = d * (q - off), or d * q + m for the types with a minimum
// (`min` is that term or nothing); qh is the block's fifth bits or 0.
#define DQ_BLOCK32(type, qh, off, min)                                                                             \
    static void dq_##type(const blk_##type *b, float *y, int64_t nb) {                                             \
        for (int64_t i = 0; i < nb; i++, y += 32)                                                                  \
            for (int j = 0; j < 32; j++) y[j] = f16(b[i].d) * (block32_value(b[i].qs, qh, j) - off) min;          \
    }
DQ_BLOCK32(q4_0, 0, 8, )
DQ_BLOCK32(q4_1, 0, 0, + f16(b[i].m))
DQ_BLOCK32(q5_0, block32_high(b[i].qh), 16, )
DQ_BLOCK32(q5_1, block32_high(b[i].qh), 0, + f16(b[i].m))

static void dq_q8_0(const blk_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 32)
        for (int j = 0; j < 32; j++) y[j] = f16(b[i].d) * b[i].qs[j];
}

// Q4_K and Q5_K (qh NULL for Q4_K): 8 sub-blocks of 32 with 6-bit scales and mins; each 32
// bytes of qs hold two sub-blocks (low nibbles, then high nibbles). Q5_K's fifth bit is bit
// 2j of qh for the low half of group j, bit 2j+1 for the high half.
static void dq_kquant_4_5(const uint8_t *scales, const uint8_t *q, const uint8_t *qh, float d, float dmin, float *y) {
    for (int j = 0; j < 4; j++, q += 32) {
        uint8_t sc, m;
        kquant_scale_min(2 * j, scales, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        kquant_scale_min(2 * j + 1, scales, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        uint8_t u1 = (uint8_t)(1u << (2 * j)), u2 = (uint8_t)(2u << (2 * j));
        for (int l = 0; l < 32; l++) *y++ = d1 * ((q[l] & 0xF) + (qh && (qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * ((q[l] >> 4) + (qh && (qh[l] & u2) ? 16 : 0)) - m2;
    }
}

static void dq_q4_K(const blk_q4_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 256) dq_kquant_4_5(b[i].scales, b[i].qs, 0, f16(b[i].d), f16(b[i].dmin), y);
}

static void dq_q5_K(const blk_q5_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 256) dq_kquant_4_5(b[i].scales, b[i].qs, b[i].qh, f16(b[i].d), f16(b[i].dmin), y);
}

// Q6_K: 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh.
static void dq_q6_K(const blk_q6_K *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += 256)
        for (int e = 0; e < 256; e++) y[e] = f16(b[i].d) * b[i].scales[e / 16] * (q6_K_value(&b[i], e) - 32);
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
    default: return tern_dequantize_lowbit(type, src, dst, n);
    }
}
