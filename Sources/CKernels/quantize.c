// Quantization of activation rows into Tern's int8 activation blocks, so that dot products
// with quantized weights run on integers.
#include "quants.h"
#include <math.h>

static void quantize_q8_32(const float *x, act_q8_32 *y, int k) {
    for (int i = 0; i < k / 32; i++, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)lrintf(x[j] * id);
            y[i].qs[j] = (int8_t)q;
            sum += q;
        }
        y[i].d = d;
        y[i].s = d * (float)sum;
    }
}

static void quantize_q8_256(const float *x, act_q8_256 *y, int k) {
    for (int i = 0; i < k / 256; i++, x += 256) {
        float amax = 0;
        for (int j = 0; j < 256; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        for (int j = 0; j < 256; j++) y[i].qs[j] = (int8_t)lrintf(x[j] * id);
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int j = 0; j < 16; j++) s += y[i].qs[g * 16 + j];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = d;
    }
}

void tern_quantize_act(int fmt, const float *x, void *dst, int k) {
    switch (fmt) {
    case TERN_ACT_Q8_32: quantize_q8_32(x, dst, k); break;
    case TERN_ACT_Q8_256: quantize_q8_256(x, dst, k); break;
    default: memcpy(dst, x, (size_t)k * sizeof(float)); break;
    }
}
