// Portable dot products: weight blocks times activation blocks, integer sums per block.
// These are the reference the AVX2 kernels are tested against.
#include "lowbit.h"

// Σ (q - off)·x over one 32-element block of nibbles qs with fifth bits qh (0 for 4-bit types).
static inline int dot_block32(const uint8_t *qs, uint32_t qh, int off, const int8_t *x) {
    int s = 0;
    for (int j = 0; j < 32; j++) s += (block32_value(qs, qh, j) - off) * x[j];
    return s;
}

// The 32-element nibble types: Σ over blocks of dw·dx·Σ (q - off)·x, plus mw·s for the types
// with a minimum (`min` is that term or nothing); qh is the block's fifth bits or 0.
#define DOT_BLOCK32(type, qh, off, min)                                                                            \
    static float dot_##type(int k, const void *vw, const void *vx) {                                               \
        const blk_##type *w = vw; const act_q8_32 *x = vx;                                                         \
        float sum = 0;                                                                                             \
        for (int i = 0; i < k / 32; i++) sum += f16(w[i].d) * x[i].d * (float)dot_block32(w[i].qs, qh, off, x[i].qs) min; \
        return sum;                                                                                                \
    }
DOT_BLOCK32(q4_0, 0, 8, )
DOT_BLOCK32(q4_1, 0, 0, + f16(w[i].m) * x[i].s)
DOT_BLOCK32(q5_0, block32_high(w[i].qh), 16, )
DOT_BLOCK32(q5_1, block32_high(w[i].qh), 0, + f16(w[i].m) * x[i].s)

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

// Q4_K and Q5_K (qh NULL for Q4_K): per group of 64, two sub-blocks with their own scale and
// minimum; the minimums come out of the activation block's 16-element sums.
static float kquant_4_5(const uint8_t *scales, const uint8_t *q, const uint8_t *qh, const act_q8_256 *x, float d, float dmin) {
    const int8_t *a = x->qs;
    int sumi = 0, summ = 0;
    for (int j = 0; j < 4; j++, q += 32, a += 64) {
        uint8_t sc1, m1, sc2, m2;
        kquant_scale_min(2 * j, scales, &sc1, &m1);
        kquant_scale_min(2 * j + 1, scales, &sc2, &m2);
        int s1 = 0, s2 = 0;
        for (int l = 0; l < 32; l++) {
            int lo = (q[l] & 0xF) + (qh ? ((qh[l] >> (2 * j)) & 1) << 4 : 0);
            int hi = (q[l] >> 4) + (qh ? ((qh[l] >> (2 * j + 1)) & 1) << 4 : 0);
            s1 += lo * a[l];
            s2 += hi * a[l + 32];
        }
        sumi += sc1 * s1 + sc2 * s2;
        summ += m1 * (x->bsums[4 * j] + x->bsums[4 * j + 1]) + m2 * (x->bsums[4 * j + 2] + x->bsums[4 * j + 3]);
    }
    return x->d * (d * (float)sumi - dmin * (float)summ);
}

TERN_DOT_K45(, q4_K, 0)
TERN_DOT_K45(, q5_K, w[i].qh)

// Q6_K: 16 sub-blocks of 16 with int8 scales.
static float dot_q6_K(int k, const void *vw, const void *vx) {
    const blk_q6_K *w = vw; const act_q8_256 *x = vx;
    float sum = 0;
    for (int i = 0; i < k / 256; i++) {
        int sumi = 0;
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int l = 16 * g; l < 16 * g + 16; l++) s += (q6_K_value(&w[i], l) - 32) * x[i].qs[l];
            sumi += w[i].scales[g] * s;
        }
        sum += f16(w[i].d) * x[i].d * (float)sumi;
    }
    return sum;
}

// Float weights (F32, F16, BF16) against float activations.
#define DOT_FLOAT(type, elem, value)                                                                               \
    static float dot_##type(int k, const void *vw, const void *vx) {                                               \
        const elem *w = vw; const float *x = vx;                                                                   \
        float s = 0;                                                                                               \
        for (int i = 0; i < k; i++) s += value(w[i]) * x[i];                                                       \
        return s;                                                                                                  \
    }
#define AS_IS(v) (v)
DOT_FLOAT(f32, float, AS_IS)
DOT_FLOAT(f16, uint16_t, f16)
DOT_FLOAT(bf16, uint16_t, bf16)

tern_dot_fn tern_dot_scalar(int type) {
    switch (type) {
    case TERN_BF16: return dot_bf16;
    TERN_DOT_CASES;
    default: return tern_dot_lowbit_scalar(type);
    }
}
