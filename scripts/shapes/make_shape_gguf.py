#!/usr/bin/env python3
"""Write a random-weight F16 GGUF at the exact shape of a real model, for benchmarks.

The text such a model writes is noise; its speed and memory are those of the real model.
Quantize the result with llama.cpp's own `llama-quantize` (scripts/shapes/make-shapes does both).

The tokenizer is SmolLM2's byte-level BPE (read from its GGUF), padded to the real model's
vocabulary size, so the embedding and head have the real shape: with ordinary tokens (no merge
makes them) and, at the end, reserved special tokens up to 256 specials in all, as Llama 3's
vocabulary is made (128,000 ordinary tokens, 256 special). Padding it all with specials would
give the tokenizer ~80k control tokens to match in every text, which no real model has.

    make_shape_gguf.py llama-3.2-1b --tokenizer-from SmolLM2-135M-Instruct.Q4_1.gguf -o out.gguf
"""
import argparse
import sys

import numpy as np
import gguf

# name: (architecture, hidden, layers, ffn, heads, kv heads, head dim, vocab, tied head, rope base, extras)
SHAPES = {
    "llama-3.2-1b": ("llama", 2048, 16, 8192, 32, 8, 64, 128256, True, 500000.0, {"rope_freqs"}),
    "llama-3.2-3b": ("llama", 3072, 28, 8192, 24, 8, 128, 128256, True, 500000.0, {"rope_freqs"}),
    "llama-3.1-8b": ("llama", 4096, 32, 14336, 32, 8, 128, 128256, False, 500000.0, {"rope_freqs"}),
    "qwen2.5-1.5b": ("qwen2", 1536, 28, 8960, 12, 2, 128, 151936, True, 1000000.0, {"qkv_bias"}),
    "qwen3-1.7b": ("qwen3", 2048, 28, 6144, 16, 8, 128, 151936, True, 1000000.0, {"qk_norm"}),
    # Phi-3: fused attn_qkv and ffn_up (gate half first), LongRoPE factor tensors; Phi-4-mini
    # rotates 96 of each head's 128 dimensions.
    "phi-3.5-mini": ("phi3", 3072, 32, 8192, 32, 32, 96, 32064, False, 10000.0, {"fused", "longrope"}),
    "phi-4-mini": ("phi3", 3072, 32, 8192, 24, 8, 128, 200064, True, 10000.0, {"fused", "longrope", "rot96"}),
}
PHI3_ORIGINAL_CONTEXT = 4096

LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)


def llama3_rope_freqs(head_dim, base, factor=32.0, low=1.0, high=4.0, original=8192):
    """Llama 3.1's long-context frequency divisors (the `rope_freqs` tensor llama.cpp's converter writes)."""
    freqs = 1.0 / base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    out = []
    for f in freqs:
        wavelen = 2 * np.pi / f
        if wavelen < original / high:
            out.append(1.0)
        elif wavelen > original / low:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def read_tokenizer(path):
    r = gguf.GGUFReader(path)

    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    tokens = strings("tokenizer.ggml.tokens")
    merges = strings("tokenizer.ggml.merges")
    types = [int(r.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in r.fields["tokenizer.ggml.token_type"].data]
    return tokens, types, merges


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shape", choices=sorted(SHAPES))
    p.add_argument("--tokenizer-from", required=True, help="a GGUF with a byte-level BPE tokenizer (SmolLM2)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layers", type=int, help="fewer layers than the real model (a quick smoke-test file)")
    a = p.parse_args()
    arch, hidden, layers, ffn, heads, kv_heads, head_dim, vocab, tied, base, extras = SHAPES[a.shape]
    layers = a.layers or layers
    rope_dims = 96 if "rot96" in extras else head_dim

    tokens, types, merges = read_tokenizer(a.tokenizer_from)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    if arch == "phi3":  # llama.cpp looks these up in any model named Phi-3
        specials = [t for t in ["<s>", "<unk>", "</s>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "<|endoftext|>"]
                    if t not in set(tokens)]
    named = len(specials)
    if len(tokens) + len(specials) > vocab:  # a vocabulary smaller than SmolLM2's (Phi-3.5): cut it, and the merges it loses
        tokens, types = tokens[: vocab - len(specials)], types[: vocab - len(specials)]
        kept = set(tokens)
        merges = [m for m in merges if all(part in kept for part in m.split(" ", 1)) and m.replace(" ", "", 1) in kept]
    ordinary = max(0, vocab - len(tokens) - max(256, len(specials)))
    tokens += [f"Ġpad{i}" for i in range(ordinary)]
    types += [1] * ordinary
    while len(tokens) + len(specials) < vocab:
        specials.append(f"<|reserved_special_token_{len(specials) - named}|>")
    first_special = len(tokens)
    tokens += specials[: vocab - len(tokens)]
    types += [3] * (vocab - len(types))  # control tokens

    w = gguf.GGUFWriter(a.output, arch)
    w.add_name(f"random-weight {a.shape} shape")
    w.add_context_length(131072 if arch in ("llama", "phi3") else 32768)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(rope_dims)
    if "longrope" in extras:  # as llama.cpp's phi.py writes them
        w.add_rope_scaling_orig_ctx_len(PHI3_ORIGINAL_CONTEXT)
        w.add_rope_scaling_attn_factors(float(np.sqrt(1 + np.log(131072 / PHI3_ORIGINAL_CONTEXT) / np.log(PHI3_ORIGINAL_CONTEXT))))
    w.add_rope_freq_base(base)
    w.add_layer_norm_rms_eps(1e-5 if arch == "llama" else 1e-6)
    w.add_vocab_size(vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre({"llama": "llama-bpe", "phi3": "gpt-4o"}.get(arch, "qwen2"))
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    ids = {t: i for i, t in enumerate(tokens)}
    w.add_bos_token_id(ids["<s>" if arch == "phi3" else "<|begin_of_text|>"])
    w.add_eos_token_id(ids["<|end|>" if arch == "phi3" else "<|eot_id|>"])
    w.add_chat_template(LLAMA3_TEMPLATE)

    rng = np.random.default_rng(a.seed)
    # One pool of random values, read at random offsets: quantizers see random data, and an 8B
    # file takes minutes, not an hour, to write.
    pool = (rng.standard_normal(1 << 26) * 0.02).astype(np.float16)

    def random(shape):
        n = int(np.prod(shape))
        start = int(rng.integers(0, pool.size))
        return np.resize(np.roll(pool, -start), n).reshape(shape)

    plan = [("token_embd.weight", (vocab, hidden), "random")]
    if "rope_freqs" in extras:
        plan.append(("rope_freqs.weight", (head_dim // 2,), "rope"))
    if "longrope" in extras:
        plan += [("rope_factors_long.weight", (rope_dims // 2,), "long"), ("rope_factors_short.weight", (rope_dims // 2,), "short")]
    for i in range(layers):
        b = f"blk.{i}."
        plan.append((b + "attn_norm.weight", (hidden,), "ones"))
        if "fused" in extras:
            plan.append((b + "attn_qkv.weight", ((heads + 2 * kv_heads) * head_dim, hidden), "random"))
        else:
            plan += [(b + "attn_q.weight", (heads * head_dim, hidden), "random"),
                     (b + "attn_k.weight", (kv_heads * head_dim, hidden), "random"),
                     (b + "attn_v.weight", (kv_heads * head_dim, hidden), "random")]
        plan.append((b + "attn_output.weight", (hidden, heads * head_dim), "random"))
        if "qkv_bias" in extras:
            plan += [(b + "attn_q.bias", (heads * head_dim,), "zeros"),
                     (b + "attn_k.bias", (kv_heads * head_dim,), "zeros"),
                     (b + "attn_v.bias", (kv_heads * head_dim,), "zeros")]
        if "qk_norm" in extras:
            plan += [(b + "attn_q_norm.weight", (head_dim,), "ones"), (b + "attn_k_norm.weight", (head_dim,), "ones")]
        plan.append((b + "ffn_norm.weight", (hidden,), "ones"))
        if "fused" in extras:
            plan.append((b + "ffn_up.weight", (2 * ffn, hidden), "random"))
        else:
            plan += [(b + "ffn_gate.weight", (ffn, hidden), "random"), (b + "ffn_up.weight", (ffn, hidden), "random")]
        plan.append((b + "ffn_down.weight", (hidden, ffn), "random"))
    plan.append(("output_norm.weight", (hidden,), "ones"))
    if not tied:
        plan.append(("output.weight", (vocab, hidden), "random"))

    def make(shape, kind):
        if kind == "random":
            return random(shape)
        if kind == "rope":
            return llama3_rope_freqs(head_dim, base)
        if kind in ("long", "short"):  # LongRoPE-like divisors: ~1 for fast frequencies, growing for slow ones
            top = 40.0 if kind == "long" else 1.5
            return np.geomspace(1.0, top, shape[0]).astype(np.float32)
        return (np.ones if kind == "ones" else np.zeros)(shape, dtype=np.float32)

    # Norms, biases and rope_freqs stay F32 as llama.cpp's converter writes them.
    for name, shape, kind in plan:
        dtype = np.float16 if kind == "random" else np.float32
        w.add_tensor_info(name, shape, np.dtype(dtype), int(np.prod(shape)) * np.dtype(dtype).itemsize)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for name, shape, kind in plan:
        w.write_tensor_data(make(shape, kind))
    w.close()
    print(f"{a.output}: {a.shape}, {len(plan)} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
