// Tern's C kernels: quantized block formats, dot products, elementwise ops, attention and
// a small spinning thread pool. AVX2/FMA paths are compiled with function target
// attributes and chosen at run time; every kernel has a portable fallback.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Tensor type numbers are GGML's (GGUF on-disk numbers).
enum {
    TERN_F32 = 0, TERN_F16 = 1, TERN_Q4_0 = 2, TERN_Q4_1 = 3, TERN_Q5_0 = 6, TERN_Q5_1 = 7,
    TERN_Q8_0 = 8, TERN_Q2_K = 10, TERN_Q3_K = 11, TERN_Q4_K = 12, TERN_Q5_K = 13, TERN_Q6_K = 14,
    TERN_IQ4_NL = 20, TERN_IQ4_XS = 23, TERN_BF16 = 30
};

// Activation formats the dot products take. Q8_32X holds the same int8 blocks and scales as
// Q8_32, for the kernels of packed Q4_0/Q5_0/Q8_0 weights: per block the 32 bytes, the
// scale and -128 times the bytes' sum (see tern_matmul_packed).
enum { TERN_ACT_F32 = 0, TERN_ACT_Q8_32 = 1, TERN_ACT_Q8_256 = 2, TERN_ACT_Q8_32X = 4 };

/// One-time setup (fp16 table, CPU feature check); runs at load time, safe to call again.
void tern_init(void);
/// 1 if the AVX2/FMA kernels are in use.
int tern_using_avx2(void);
// Whether the AVX-512 VNNI kernels (packed Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_XS) are in use (TERN_NO_AVX512=1 turns them off).
int tern_using_avx512(void);
// Whether the CPU has AVX-512 F/BW/DQ/VL/CD (what OpenBLAS's SkylakeX kernels need).
int tern_cpu_has_avx512(void);
/// Force the portable kernels (0) or allow AVX2 when the CPU has it (1). For tests.
void tern_set_simd(int enabled);
// Returns freed heap memory to the system (glibc malloc_trim); nothing elsewhere.
void tern_release_free_heap(void);

float tern_fp16_to_fp32(uint16_t h);
uint16_t tern_fp32_to_fp16(float f);

/// Which activation format a weight type's dot product consumes.
int tern_act_format(int type);
/// Bytes of one activation row of `k` elements in format `fmt`.
size_t tern_act_row_bytes(int fmt, int k);
/// Quantize one activation row of `k` floats into format `fmt` (k a multiple of the block size).
void tern_quantize_act(int fmt, const float *x, void *dst, int k);

/// out = the values the int8 activation blocks of format `fmt` represent for x (k floats):
/// what the GEMV path's dot products see, for the GEMM path to use the same numbers.
void tern_round_act(int fmt, const float *x, float *out, int k);

/// For Q4_1/Q5_1 weights the integer kernels use each activation block's sum at half
/// precision (s); the dequantized GEMM path sees the exact sum instead. delta[b] (k/32) =
/// s - d * sum(q) of each block of one quantized activation row (format Q8_32).
void tern_act_offset_deltas(const void *act, int k, float *delta);
/// The block minimums m of Q4_1/Q5_1 rows [r0, r1) as floats: out is (r1 - r0, k/32). With
/// the deltas, y += delta · mᵀ brings the GEMM path to the integer kernels' arithmetic.
void tern_extract_offsets(const void *w, size_t row_bytes, int k, int r0, int r1, float *out);

/// Dequantize `n` elements (whole blocks) of type `type` from `src` into `dst`.
/// Returns 0, or -1 for an unsupported type.
int tern_dequantize(int type, const void *src, float *dst, int64_t n);

/// y[v * ldy + r] = dot(weight row r, activation row v) for r in [r0, r1), v in [0, nvec).
/// `w` points to row 0; rows are `row_bytes` apart; `k` elements per row; activation rows
/// (already in tern_act_format(type)) are `x_stride` bytes apart.
void tern_matmul_rows(int type, const void *w, size_t row_bytes, int k, int r0, int r1,
                      const void *x, size_t x_stride, int nvec, float *y, int ldy);

/// tern_matmul_rows for float weights (F32, F16, BF16) against F32 activations by register
/// tiles (up to six weight rows times four activation rows on AVX-512, 3 × 3 on AVX2). Every
/// output has the arithmetic of its pair alone, so results do not depend on the batch. Returns
/// 0, having written nothing, for other types or where AVX2 is not in use.
int tern_matmul_float(int type, const void *w, size_t row_bytes, int k, int r0, int r1, const void *x, size_t x_stride,
                      int nvec, float *y, int ldy);

/// 1 if weights of `type` take the packed kernels below (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K
/// and IQ4_XS, wherever AVX2 is in use: AVX-512 VNNI kernels, or AVX2 ones); Q4_0/Q5_0/Q8_0
/// activations are then TERN_ACT_Q8_32X (Q4_1's stay Q8_32, the K-quants' and IQ4_XS's Q8_256).
int tern_packs(int type);
/// Bytes of a packed copy of `rows` rows of `k` elements of `type` (sixteen rows
/// interleaved; layouts in packed_*_avx512.c). Allocate it 64-byte aligned.
size_t tern_packed_bytes(int type, int rows, int k);
/// Packs the groups [g0, g1) of 16 rows (of `rows` in all) of a matrix into `dst`, the whole
/// packed matrix; disjoint group ranges can be packed concurrently.
void tern_pack_rows(int type, const void *w, size_t row_bytes, int k, int rows, int g0, int g1, void *dst);
/// The inverse of tern_pack_rows: rows [r0, r1) of a packed matrix back in the file's block
/// layout, byte for byte, `row_bytes` apart at dst (so the packed copy can stand in for the
/// original, whose pages are then released).
void tern_unpack_rows(int type, const void *packed, int k, int r0, int r1, void *dst, size_t row_bytes);
/// tern_matmul_rows for a packed matrix: y[v * ldy + r] for r in [r0, r1) (r1 at most its rows).
void tern_matmul_packed(int type, const void *packed, int k, int r0, int r1, const void *x, size_t x_stride, int nvec,
                        float *y, int ldy);

/// One dot product (for tests): weight row of `type` times an activation row in its format.
float tern_vec_dot(int type, int k, const void *w, const void *x);

// ---- elementwise ------------------------------------------------------------------------
/// out = x / rms(x) * weight (weight may be NULL for no scale); n elements.
void tern_rmsnorm(const float *x, const float *weight, float *out, int n, float eps);
/// out = (x - mean) / std * weight + bias (either may be NULL).
void tern_layernorm(const float *x, const float *weight, const float *bias, float *out, int n, float eps);
/// In-place rotary embedding of `nheads` heads of `head_dim` floats. cosv/sinv hold
/// rot_dim/2 values cos/sin(pos * inv_freq[i]) for this token's position.
/// neox = 0: rotate pairs (2i, 2i+1); neox = 1: pairs (i, i + rot_dim/2). rot_dim <= head_dim.
void tern_rope(float *x, int nheads, int head_dim, int rot_dim, const float *cosv, const float *sinv, int neox);
/// gate = silu(gate) * up, n elements (SwiGLU).
void tern_swiglu(float *gate, const float *up, int n);
/// gate = gelu_tanh(gate) * up (GeGLU), n elements.
void tern_geglu(float *gate, const float *up, int n);
/// x = gelu_tanh(x).
void tern_gelu(float *x, int n);
/// In-place softmax over n elements.
void tern_softmax(float *x, int n);
/// The same with an AVX2 exponential (within 2e-7 relative of expf) where the CPU has it: for
/// attention over f16/q8_0 caches, whose numerics are not held to the f32 path's.
void tern_softmax_fast(float *x, int n);
/// Index of the largest of n values, the lowest among equals; NaNs are skipped.
int32_t tern_argmax(const float *x, int n);
/// For the values >= floor (max is the largest of x): their indices (ascending) to ids and
/// exp((x - max) * inv_t) to p, both with room for n; returns how many.
int tern_exp_candidates(const float *x, int n, float max, float inv_t, float floor, int32_t *ids, float *p);
/// The sum of exp(x - max) over n values, max their largest (log-softmax normalizers).
double tern_sum_exp(const float *x, int n, float max);
/// y += a * x
void tern_axpy(float *y, const float *x, float a, int n);
/// Reads n bytes (32-byte aligned for the vector loop) and returns their XOR: a memory
/// read-bandwidth probe the compiler cannot drop.
uint64_t tern_read_bytes(const void *p, size_t n);
/// dot product of two float vectors.
float tern_dot_f32(const float *a, const float *b, int n);

// ---- attention --------------------------------------------------------------------------
/// Attention of one query head over a paged KV store.
/// q: (head_dim); k_cache, v_cache: (num_blocks, block_size, kv_stride) floats where
/// kv_stride = num_kv_heads * head_dim; this head reads at offset kv_off within a slot.
/// Positions [start, end) are attended; position p lives in block block_table[p / block_size]
/// at slot p % block_size. scores: scratch of at least `end` floats. out: (head_dim).
void tern_attention_head(const float *q, int head_dim, const float *k_cache, const float *v_cache,
                         const int32_t *block_table, int block_size, int kv_stride, int kv_off,
                         int start, int end, float scale, float *scores, float *out);

/// The same for the g query heads sharing one KV head (grouped-query attention): each key
/// and value row is read once for all of them. q: g rows `q_stride` floats apart; out: g
/// rows `out_stride` apart; scores: scratch of g * (end - start) floats.
void tern_attention_group(const float *q, int q_stride, int g, int head_dim, const float *k_cache, const float *v_cache,
                          const int32_t *block_table, int block_size, int kv_stride, int kv_off, int start, int end,
                          float scale, float *scores, float *out, int out_stride);

/// KV cache element types. A cache row holds n = num_kv_heads * head_dim elements:
/// TERN_KV_F32: n floats; TERN_KV_F16: n IEEE halves; TERN_KV_Q8_0: n / 32 blocks of
/// {half d; int8 qs[32]} (34 bytes, value = d * qs[i], GGML's Q8_0 block), n and every
/// head's offset multiples of 32.
enum { TERN_KV_F32 = 0, TERN_KV_F16 = 1, TERN_KV_Q8_0 = 2 };
/// Bytes of one cache row of n elements.
size_t tern_kv_row_bytes(int dtype, int n);
/// Writes n floats as one cache row.
void tern_kv_store(int dtype, const float *x, void *dst, int n);
/// Reads elements [off, off + n) of a cache row as floats (off and n multiples of 32 for q8_0).
void tern_kv_load(int dtype, const void *row, int off, float *out, int n);
/// tern_attention_group over a cache of any dtype whose blocks are head-major: per block,
/// (num_kv_heads, block_size) rows of tern_kv_row_bytes(dtype, head_dim) bytes, so one head's
/// rows in a block are contiguous. k_head, v_head: this head's rows of block 0; block b's lie
/// b * block_stride bytes further. f16/q8_0 rows are converted 16 at a time on the stack
/// (head_dim ≤ 1024); f32 rows are read in place (the same arithmetic as tern_attention_group).
void tern_attention_group_kv(int dtype, const float *q, int q_stride, int g, int head_dim, const void *k_head,
                             const void *v_head, size_t block_stride, const int32_t *block_table, int block_size,
                             int start, int end, float scale, float *scores, float *out, int out_stride);
/// tern_attention_group_kv for m consecutive new tokens of one sequence at once, each K/V run
/// converted once for all of them. Row r's queries start at q + r·q_row_stride, its output at
/// out + r·out_row_stride; it attends to [start, end + r) when causal, else [start, end).
/// scores: (m, g, width) floats, width = the largest end - start. Each row's result is
/// bit-identical to a one-row call over its own range (same runs, same sums).
void tern_attention_rows_kv(int dtype, const float *q, int q_stride, int q_row_stride, int m, int g, int head_dim,
                            const void *k_head, const void *v_head, size_t block_stride, const int32_t *block_table,
                            int block_size, int start, int end, int causal, float scale, float *scores, float *out,
                            int out_stride, int out_row_stride);
/// tern_attention_group_kv with this head's rows already as floats, contiguous: keys, values
/// (end, head_dim), position p at row p (rows before `start` are not read). Walked in the same
/// runs, with the softmax of that dtype (fast_softmax: the f16/q8_0 one), so the result is
/// bit-identical to tern_attention_group_kv over the cache these rows were converted from.
void tern_attention_group_flat(const float *q, int q_stride, int g, int head_dim, const float *keys, const float *values,
                               int block_size, int start, int end, float scale, int fast_softmax, float *scores, float *out,
                               int out_stride);

// ---- thread pool ------------------------------------------------------------------------
typedef struct tern_pool tern_pool;
typedef void (*tern_task_fn)(void *ctx, int task);
/// A pool of `nthreads` - 1 workers; the caller is the last thread.
tern_pool *tern_pool_create(int nthreads);
void tern_pool_destroy(tern_pool *pool);
int tern_pool_size(const tern_pool *pool);
/// Run fn(ctx, t) for t in [0, ntasks) across the pool and the caller; returns when all are done.
void tern_pool_run(tern_pool *pool, tern_task_fn fn, void *ctx, int ntasks);

#ifdef __cplusplus
}
#endif
