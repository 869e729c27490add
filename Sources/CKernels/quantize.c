// Quantization of activation rows into int8 blocks, so that dot products with quantized
// weights run on integers. The arithmetic follows llama.cpp's reference (scales from the
// largest magnitude, round-half-even, 32-element scales kept at half precision), so that
// logits agree with it as closely as integer sums allow.
#include "quants.h"
#include <math.h>

static inline float round_to_half(float f) { return tern_fp16_table[tern_fp32_to_fp16(f)]; }

static void quantize_q8_32(const float *x, act_q8_32 *y, int k) {
    for (int i = 0; i < k / 32; i++, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = amax != 0 ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)lrintf(x[j] * id);
            y[i].qs[j] = (int8_t)q;
            sum += q;
        }
        y[i].d = round_to_half(d);
        y[i].s = round_to_half(d * (float)sum);
    }
}

static void quantize_q8_256(const float *x, act_q8_256 *y, int k) {
    for (int i = 0; i < k / 256; i++, x += 256) {
        float amax = 0, max = 0;  // largest magnitude, and that value with its sign
        for (int j = 0; j < 256; j++) {
            float a = fabsf(x[j]);
            if (a > amax) { amax = a; max = x[j]; }
        }
        if (amax == 0) {
            memset(&y[i], 0, sizeof(act_q8_256));
            continue;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            int v = (int)lrintf(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int j = 0; j < 16; j++) s += y[i].qs[g * 16 + j];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = 1 / iscale;
    }
}

void tern_quantize_act(int fmt, const float *x, void *dst, int k) {
    switch (fmt) {
    case TERN_ACT_Q8_32: quantize_q8_32(x, dst, k); break;
    case TERN_ACT_Q8_256: quantize_q8_256(x, dst, k); break;
    default: memcpy(dst, x, (size_t)k * sizeof(float)); break;
    }
}

void tern_round_act(int fmt, const float *x, float *out, int k) {
    if (fmt == TERN_ACT_Q8_32) {
        act_q8_32 b;
        for (int i = 0; i < k / 32; i++) {
            quantize_q8_32(x + 32 * i, &b, 32);
            for (int j = 0; j < 32; j++) out[32 * i + j] = b.d * b.qs[j];
        }
    } else if (fmt == TERN_ACT_Q8_256) {
        act_q8_256 b;
        for (int i = 0; i < k / 256; i++) {
            quantize_q8_256(x + 256 * i, &b, 256);
            for (int j = 0; j < 256; j++) out[256 * i + j] = b.d * b.qs[j];
        }
    } else if (x != out) {
        memcpy(out, x, (size_t)k * sizeof(float));
    }
}

void tern_act_offset_deltas(const void *act, int k, float *delta) {
    const act_q8_32 *b = act;
    for (int i = 0; i < k / 32; i++) {
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += b[i].qs[j];
        delta[i] = b[i].s - b[i].d * (float)sum;
    }
}

void tern_extract_offsets(const void *w, size_t row_bytes, int k, int r0, int r1, float *out) {
    const uint8_t *wb = w;
    int nb = k / 32;
    size_t block = row_bytes / (size_t)nb;
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = wb + (size_t)r * row_bytes;
        for (int i = 0; i < nb; i++) {
            uint16_t m;
            memcpy(&m, row + (size_t)i * block + 2, 2);  // Q4_1/Q5_1 blocks: d, then m
            out[(size_t)(r - r0) * nb + i] = f16(m);
        }
    }
}
