#!/usr/bin/env python3
"""Tiny random Hugging Face checkpoints and tokenizer goldens (committed under Tests/Fixtures).

Writes model folders shaped like real Hugging Face checkpoints, with random weights:
  Tests/Fixtures/tiny-gpt2   GPT2LMHeadModel, F32, one model.safetensors, tied LM head
  Tests/Fixtures/tiny-qwen2  Qwen2ForCausalLM, BF16, sharded in two files + model.safetensors.index.json
  Tests/Fixtures/tiny-llama  LlamaForCausalLM, F16, one file, one KV head, tied LM head
  Tests/Fixtures/tiny-qwen3  Qwen3ForCausalLM, BF16, Q/K norms, head_dim apart from hidden/heads, tied LM head
  Tests/Fixtures/tiny-phi3   Phi3ForCausalLM (Phi-4-mini style), BF16, fused qkv and gate/up, partial rotary,
                             LongRoPE, tied LM head, the "gpt-4o" pre-tokenizer
  Tests/Fixtures/tiny-smollm3  SmolLM3ForCausalLM, BF16, 4 layers, the last without RoPE, tied LM head
  Tests/Fixtures/tiny-gemma3  Gemma3ForConditionalGeneration shaped like Gemma 3 4B (text weights under
                             language_model.), BF16, 7 layers (the sixth global), sliding window 5, linear RoPE
                             scaling (factor 8) on the global layer only, head_dim apart from hidden/heads,
                             norms stored as w (scale 1 + w), tied LM head, a SentencePiece-style tokenizer.json;
                             its reference.json also records how far the logits move without the scaling,
                             with it on every layer, and without the window
  Tests/Fixtures/tiny-bert   BertModel (an encoder), F32, a WordPiece tokenizer; its reference.json holds the
                             final hidden states and the mean- and CLS-pooled normalized embeddings
  Tests/Fixtures/tiny-nomic-bert  NomicBertModel (nomic-embed-text's encoder: fused QKV without biases, rotary
                             positions, SwiGLU), F32, tiny-bert's tokenizer; reference.json as tiny-bert's
each with config.json, generation_config.json, tokenizer.json (trained here with the `tokenizers`
library), tokenizer_config.json, and two goldens:
  reference.json  logits of every position for two token sequences, from the plain NumPy forward
                  passes below (float64 math on the weights as stored, written as float32 values);
  tokens.json     the `tokenizers` package's ids for every string of Tests/Fixtures/tokenizer-corpus.json:
                  "ids" with special tokens parsed (add_special_tokens=False), "nospecial" the ids that
                  differ with `encode_special_tokens` (special spellings as text), "detok_differs" the
                  decoded text (skip_special_tokens=False) where it is not the input.
It also writes Tests/Fixtures/hf-tokenizer-variants.json: small tokenizer.json variants (added-token
options, byte fallback, unknown tokens, ignore_merges, other pre-tokenizers and normalizers, string
merges, a BOS template) with the `tokenizers` package's ids for a few hundred probe strings.

How to run (from anywhere; PyPI is the only network needed):
  python3 -m venv ~/.cache/tern/venv-fixtures
  ~/.cache/tern/venv-fixtures/bin/pip install numpy safetensors tokenizers
  ~/.cache/tern/venv-fixtures/bin/python scripts/golden/make_tiny_checkpoints.py
The output is deterministic for a given `tokenizers` version (recorded in tokens.json). The
weight files themselves are not committed: `make_tiny_checkpoints.py --weights-only` writes them
again from each folder's config.json (scripts/test does, before the tests), and a regeneration
here must update Tests/Fixtures/tiny-weights.sha256. `make_tiny_checkpoints.py --greedy` writes
tiny-llama/greedy.json (NumPy alone): greedy continuations of a few token-id prompts.
"""
import copy
import json
import math
import os
import struct
import unicodedata

import numpy as np

try:  # `--weights-only` needs NumPy alone
    import safetensors
    import tokenizers
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
except ImportError:
    safetensors = tokenizers = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Tests", "Fixtures")
GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
# Phi-4-mini's (o200k, llama.cpp "gpt-4o"): case-aware words with trailing contractions, up to 3 digits
GPT4O_REGEX = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
               r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
               r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
TEKKEN_REGEX = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
                r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
                r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def read(name):
    with open(os.path.join(FIX, name), encoding="utf-8") as f:
        return f.read()


def dump(path, obj, indent=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- tokenizers
def train(pre_tokenizer, vocab_size, texts, normalizer=None, alphabet=True):
    """A byte-level BPE trained on `texts` (deterministic for a given tokenizers version)."""
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if alphabet else [])
    tok.train_from_iterator(texts, trainer)
    return tok


def qwen2_pre_tokenizer(byte_level=None):
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        byte_level or pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def golden_ids(tok, strings, add_special=False, skip=False):
    """ids with special tokens parsed; ids where `encode_special_tokens` (no parsing) differs;
    the decoded text where decode(encode(s)) != s; with `skip`, also "detok_skip": the text
    decoded with skip_special_tokens where it is not s."""
    ids = [tok.encode(s, add_special_tokens=add_special).ids for s in strings]
    tok.encode_special_tokens = True
    nospecial = {}
    for i, s in enumerate(strings):
        other = tok.encode(s, add_special_tokens=add_special).ids
        if other != ids[i]:
            nospecial[str(i)] = other
    tok.encode_special_tokens = False
    differs = {}
    for i, s in enumerate(strings):
        back = tok.decode(ids[i], skip_special_tokens=False)
        if back != s:
            differs[str(i)] = back
    out = {"ids": ids, "nospecial": nospecial, "detok_differs": differs}
    if skip:
        out["detok_skip"] = {str(i): d for i, d in enumerate(tok.decode(x, skip_special_tokens=True) for x in ids) if d != strings[i]}
    return out


# ---------------------------------------------------------------- safetensors
def bf16(x):
    """float32 → bfloat16 bits (round to nearest even) and the float32 values they stand for."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded, (rounded.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    """tensors: name → (dtype code, numpy array of the stored bytes). Header keys sorted, as HF writes."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    if safetensors:  # the library must read it back byte for byte
        back = dict(safetensors.deserialize(open(path, "rb").read()))
        assert all(bytes(back[n]["data"]) == np.ascontiguousarray(a).tobytes() for n, (_, a) in tensors.items())
    return offset


# ---------------------------------------------------------------- reference forward passes
def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def causal_attention(q, k, v):
    """q: (heads, T, hd); k, v: (heads, T, hd) → (T, heads * hd)"""
    T, hd = q.shape[1], q.shape[2]
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)              # (heads, T, T)
    scores = np.where(np.tril(np.ones((T, T), bool)), scores, -np.inf)
    return (softmax(scores) @ v).transpose(1, 0, 2).reshape(T, -1)


def gpt2_forward(w, cfg, ids):
    """GPT-2: learned positions, pre-LayerNorm with bias, fused QKV (Conv1D: x @ W + b), gelu_new, tied head."""
    T, H, eps = len(ids), cfg["n_head"], cfg["layer_norm_epsilon"]
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]                   # (T, n_embd)
    for i in range(cfg["n_layer"]):
        p = lambda n: w[f"h.{i}.{n}"]
        a = layer_norm(x, p("ln_1.weight"), p("ln_1.bias"), eps)
        qkv = a @ p("attn.c_attn.weight") + p("attn.c_attn.bias")   # (T, 3 * n_embd)
        q, k, v = (m.reshape(T, H, -1).transpose(1, 0, 2) for m in np.split(qkv, 3, axis=-1))
        x = x + causal_attention(q, k, v) @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        m = layer_norm(x, p("ln_2.weight"), p("ln_2.bias"), eps)
        h = m @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias")            # (T, 4 * n_embd)
        h = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h ** 3)))
        x = x + h @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T                                     # (T, vocab)


def gelu_erf(h):
    erf = np.vectorize(math.erf)
    return 0.5 * h * (1 + erf(h / np.sqrt(2)))


def bert_forward(w, cfg, ids):
    """BERT: word + position + token-type-0 embeddings, LayerNorm, post-norm blocks of bidirectional
    attention and an erf-GELU feed-forward (Linear: x @ W.T + b). Returns the final hidden states (T, hidden)."""
    T, H, eps = len(ids), cfg["num_attention_heads"], cfg["layer_norm_eps"]
    e = lambda n: w[f"embeddings.{n}"]
    x = e("word_embeddings.weight")[ids] + e("position_embeddings.weight")[:T] + e("token_type_embeddings.weight")[0]
    x = layer_norm(x, e("LayerNorm.weight"), e("LayerNorm.bias"), eps)
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: w[f"encoder.layer.{i}.{n}"]
        lin = lambda a, n: a @ p(n + ".weight").T + p(n + ".bias")
        q, k, v = (lin(x, f"attention.self.{n}").reshape(T, H, -1).transpose(1, 0, 2) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])        # (heads, T, T): no mask, both directions
        att = (softmax(scores) @ v).transpose(1, 0, 2).reshape(T, -1)
        x = layer_norm(x + lin(att, "attention.output.dense"), p("attention.output.LayerNorm.weight"), p("attention.output.LayerNorm.bias"), eps)
        h = gelu_erf(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), p("output.LayerNorm.weight"), p("output.LayerNorm.bias"), eps)
    return x


def nomic_bert_forward(w, cfg, ids):
    """nomic-bert: word + token-type-0 embeddings, LayerNorm, post-norm blocks of bidirectional attention
    (fused bias-free Wqkv, NeoX rotary) and a SwiGLU feed-forward (silu(fc12 x) * fc11 x). Returns (T, n_embd)."""
    T, H, eps = len(ids), cfg["n_head"], cfg["layer_norm_epsilon"]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["emb_ln.weight"], w["emb_ln.bias"], eps)
    for i in range(cfg["n_layer"]):
        p = lambda n: w[f"encoder.layers.{i}.{n}"]
        qkv = x @ p("attn.Wqkv.weight").T                                # (T, 3 * n_embd)
        q, k, v = (m.reshape(T, H, -1).transpose(1, 0, 2) for m in np.split(qkv, 3, axis=-1))
        q, k = rope(q, cfg["rotary_emb_base"]), rope(k, cfg["rotary_emb_base"])
        att = (softmax(q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])) @ v).transpose(1, 0, 2).reshape(T, -1)
        x = layer_norm(x + att @ p("attn.out_proj.weight").T, p("norm1.weight"), p("norm1.bias"), eps)
        gate, up = x @ p("mlp.fc12.weight").T, x @ p("mlp.fc11.weight").T
        x = layer_norm(x + (gate / (1 + np.exp(-gate)) * up) @ p("mlp.fc2.weight").T, p("norm2.weight"), p("norm2.bias"), eps)
    return x


def rope(x, theta, linear=1.0):
    """NeoX layout (rotate_half): dims i and i + hd/2 form a pair; positions divided by `linear`
    (linear RoPE scaling). x: (heads, T, hd)"""
    hd, T = x.shape[-1], x.shape[1]
    inv_freq = theta ** (-np.arange(0, hd, 2) / hd)                  # (hd/2,)
    ang = (np.arange(T) / linear)[:, None] * inv_freq[None, :]        # (T, hd/2)
    cos, sin = np.cos(np.concatenate([ang, ang], -1)), np.sin(np.concatenate([ang, ang], -1))
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return x * cos + np.concatenate([-x2, x1], -1) * sin


def qwen2_forward(w, cfg, ids):
    """Qwen2: RMSNorm, q/k/v with biases, RoPE (NeoX) with rope_theta, GQA, SwiGLU, untied head.
    Llama is the same without the biases (and here with the head tied to the embedding); Qwen3
    without the biases, with RMSNorm on each query and key head before RoPE and head_dim set apart."""
    T, H, KV, eps = len(ids), cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    x = w["model.embed_tokens.weight"][ids]                           # (T, hidden)
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: w[f"model.layers.{i}.{n}"]
        a = rms_norm(x, p("input_layernorm.weight"), eps)
        bias = lambda n: w.get(f"model.layers.{i}.self_attn.{n}_proj.bias", 0)
        heads = lambda n, count: (a @ p(f"self_attn.{n}_proj.weight").T + bias(n)).reshape(T, count, -1).transpose(1, 0, 2)
        q, k, v = heads("q", H), heads("k", KV), heads("v", KV)                     # (heads, T, head_dim)
        if f"model.layers.{i}.self_attn.q_norm.weight" in w:                         # Qwen3: RMSNorm per head
            q, k = rms_norm(q, p("self_attn.q_norm.weight"), eps), rms_norm(k, p("self_attn.k_norm.weight"), eps)
        if cfg.get("no_rope_layers", [1] * (i + 1))[i]:                           # SmolLM3: 0 = no RoPE here
            q, k = rope(q, cfg["rope_theta"]), rope(k, cfg["rope_theta"])
        k, v = np.repeat(k, H // KV, axis=0), np.repeat(v, H // KV, axis=0)   # query head h reads KV head h // (H / KV)
        x = x + causal_attention(q, k, v) @ p("self_attn.o_proj.weight").T
        m = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        g, u = m @ p("mlp.gate_proj.weight").T, m @ p("mlp.up_proj.weight").T
        x = x + (g / (1 + np.exp(-g)) * u) @ p("mlp.down_proj.weight").T
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w.get("lm_head.weight", w["model.embed_tokens.weight"]).T   # (T, vocab)


def longrope(cfg):
    """Phi-3's LongRoPE as Tern (and llama.cpp) apply it: the long factors when the context served
    (max_position_embeddings) exceeds original_max_position_embeddings, else the short ones; the
    attention factor sqrt(1 + ln(scale) / ln(original)) multiplies the rotated dimensions."""
    rs, ctx, orig = cfg["rope_scaling"], cfg["max_position_embeddings"], cfg["original_max_position_embeddings"]
    scale = ctx / orig
    mscale = np.sqrt(1 + np.log(scale) / np.log(orig)) if scale > 1 else 1.0
    return np.asarray(rs["long_factor"] if ctx > orig else rs["short_factor"]), mscale


def partial_rope(x, theta, rot, factors, mscale):
    """NeoX rotation of each head's first `rot` dims (the rest pass through), angles divided by the
    per-frequency `factors`, rotated dims times `mscale`. x: (heads, T, hd)"""
    T = x.shape[1]
    inv_freq = theta ** (-np.arange(0, rot, 2) / rot) / factors       # (rot/2,)
    ang = np.arange(T)[:, None] * inv_freq[None, :]                   # (T, rot/2)
    cos, sin = np.cos(np.concatenate([ang, ang], -1)) * mscale, np.sin(np.concatenate([ang, ang], -1)) * mscale
    xr, xp = x[..., :rot], x[..., rot:]
    x1, x2 = xr[..., : rot // 2], xr[..., rot // 2:]
    return np.concatenate([xr * cos + np.concatenate([-x2, x1], -1) * sin, xp], -1)


def phi3_forward(w, cfg, ids):
    """Phi-3 / Phi-4-mini: RMSNorm, fused qkv_proj (q, k, v rows stacked), partial NeoX RoPE with
    LongRoPE factors and attention factor, GQA, fused gate_up_proj (gate half first) into SwiGLU."""
    T, H, KV, eps = len(ids), cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    E, F = cfg["hidden_size"], cfg["intermediate_size"]
    hd = E // H
    rot = int(hd * cfg.get("partial_rotary_factor", 1.0))
    factors, mscale = longrope(cfg)
    x = w["model.embed_tokens.weight"][ids]                           # (T, hidden)
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: w[f"model.layers.{i}.{n}"]
        a = rms_norm(x, p("input_layernorm.weight"), eps)
        qkv = a @ p("self_attn.qkv_proj.weight").T                     # (T, (H + 2 KV) hd)
        heads = lambda m, count: m.reshape(T, count, hd).transpose(1, 0, 2)
        q, k, v = heads(qkv[:, :H * hd], H), heads(qkv[:, H * hd:(H + KV) * hd], KV), heads(qkv[:, (H + KV) * hd:], KV)
        q, k = (partial_rope(t, cfg["rope_theta"], rot, factors, mscale) for t in (q, k))
        k, v = np.repeat(k, H // KV, axis=0), np.repeat(v, H // KV, axis=0)
        x = x + causal_attention(q, k, v) @ p("self_attn.o_proj.weight").T
        m = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        gu = m @ p("mlp.gate_up_proj.weight").T                         # (T, 2 F)
        g, u = gu[:, :F], gu[:, F:]
        x = x + (g / (1 + np.exp(-g)) * u) @ p("mlp.down_proj.weight").T
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w.get("lm_head.weight", w["model.embed_tokens.weight"]).T   # (T, vocab)


def gelu_tanh(h):
    """GELU, tanh approximation (gelu_new, gelu_pytorch_tanh)."""
    return 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h ** 3)))


GEMMA3_PREFIX = "language_model.model."  # Gemma3ForConditionalGeneration's text weights, as gemma-3-4b-it ships them


def gemma3_forward(w, cfg, ids, linear_on="global"):
    """Gemma 3 (text) from its config.json's text_config: embedding times sqrt(hidden); every RMSNorm
    scales by (1 + w) (Gemma3RMSNorm; w as stored); per layer a norm before and after attention and
    before and after the feed-forward; RMSNorm on each query and key head; NeoX RoPE; every
    sliding_window_pattern-th layer global (rope_theta, positions divided by rope_scaling's linear
    factor), the others local (rope_local_base_freq, unscaled, each query seeing the last
    sliding_window positions, itself included); scores times query_pre_attn_scalar^-1/2; GQA; a
    tanh-GELU-gated feed-forward; final RMSNorm; head tied to the embedding; no soft-capping.
    `linear_on` ("global", "none", "all"): where the linear factor applies (the model: "global";
    the others show that the fixture tells them apart)."""
    t = cfg["text_config"]
    T, H, KV, eps, hd = len(ids), t["num_attention_heads"], t["num_key_value_heads"], t["rms_norm_eps"], t["head_dim"]
    assert t["hidden_activation"] == "gelu_pytorch_tanh" and t["final_logit_softcapping"] is None and t["attn_logit_softcapping"] is None
    factor = t["rope_scaling"]["factor"] if t["rope_scaling"] else 1.0
    norm = lambda x, name: rms_norm(x, 1 + w[GEMMA3_PREFIX + name], eps)
    x = w[GEMMA3_PREFIX + "embed_tokens.weight"][ids] * np.sqrt(t["hidden_size"])   # (T, hidden)
    for i in range(t["num_hidden_layers"]):
        p = lambda n: w[f"{GEMMA3_PREFIX}layers.{i}.{n}"]
        is_global = (i + 1) % t["sliding_window_pattern"] == 0
        a = norm(x, f"layers.{i}.input_layernorm.weight")
        heads = lambda n, count: (a @ p(f"self_attn.{n}_proj.weight").T).reshape(T, count, hd).transpose(1, 0, 2)
        q, k, v = heads("q", H), heads("k", KV), heads("v", KV)                     # (heads, T, head_dim)
        q = rms_norm(q, 1 + p("self_attn.q_norm.weight"), eps)
        k = rms_norm(k, 1 + p("self_attn.k_norm.weight"), eps)
        theta = t["rope_theta"] if is_global else t["rope_local_base_freq"]
        linear = factor if linear_on == "all" or (linear_on == "global" and is_global) else 1.0
        q, k = rope(q, theta, linear), rope(k, theta, linear)
        k, v = np.repeat(k, H // KV, axis=0), np.repeat(v, H // KV, axis=0)
        scores = q @ k.transpose(0, 2, 1) * t["query_pre_attn_scalar"] ** -0.5      # (heads, T, T)
        qi, ki = np.arange(T)[:, None], np.arange(T)[None, :]
        visible = (ki <= qi) & (is_global | (qi - ki < t["sliding_window"]))
        att = (softmax(np.where(visible, scores, -np.inf)) @ v).transpose(1, 0, 2).reshape(T, -1)
        x = x + norm(att @ p("self_attn.o_proj.weight").T, f"layers.{i}.post_attention_layernorm.weight")
        m = norm(x, f"layers.{i}.pre_feedforward_layernorm.weight")
        h = gelu_tanh(m @ p("mlp.gate_proj.weight").T) * (m @ p("mlp.up_proj.weight").T)
        x = x + norm(h @ p("mlp.down_proj.weight").T, f"layers.{i}.post_feedforward_layernorm.weight")
    x = norm(x, "norm.weight")
    return x @ w[GEMMA3_PREFIX + "embed_tokens.weight"].T                  # (T, vocab)


# ---------------------------------------------------------------- weights
def random_weights(shapes, seed):
    """Matrices ~ N(0, 1/fan_in) so every block moves the logits; norm weights ≈ 1, biases ≈ ±0.1."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in shapes.items():
        if name.endswith(".weight") and ("ln_" in name or "norm" in name):
            out[name] = 1 + 0.1 * rng.standard_normal(shape)
        elif len(shape) == 1:
            out[name] = 0.1 * rng.standard_normal(shape)
        else:
            fan_in = shape[0] if name.startswith("h.") else shape[-1]   # Conv1D stores [in, out]
            out[name] = rng.standard_normal(shape) / np.sqrt(fan_in)
    return {n: a.astype(np.float32) for n, a in out.items()}


def reference(forward, w, cfg, tok, texts, folder, dtype, limit=12, extra=None):
    """reference.json: the logits of each text's first `limit` tokens (and `extra` keys)."""
    w64 = {n: a.astype(np.float64) for n, a in w.items()}
    seqs = []
    for text in texts:
        ids = tok.encode(text).ids[:limit]
        logits = forward(w64, cfg, ids).astype(np.float32)
        seqs.append({"text": text, "token_ids": ids, "logits": [[float(str(v)) for v in row] for row in logits]})
    dump(os.path.join(folder, "reference.json"), {
        "model": os.path.basename(folder), "dtype": dtype, "math": "float64 NumPy on the stored weights",
        **(extra or {}), "sequences": seqs})


def write_folder(folder, tok, cfg, generation, tokenizer_config):
    """A checkpoint folder's tokenizer.json and three config files (the weights are written apart)."""
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"))
    dump(os.path.join(folder, "config.json"), cfg, indent=2)
    dump(os.path.join(folder, "generation_config.json"), generation, indent=2)
    dump(os.path.join(folder, "tokenizer_config.json"), tokenizer_config, indent=2)


# ---------------------------------------------------------------- weights (from config.json alone)
# The weight files are not committed: scripts/test writes them with `--weights-only` from each
# folder's config.json (NumPy alone, pinned) and checks them against Tests/Fixtures/
# tiny-weights.sha256, the bytes the committed reference.json was computed from.
def gpt2_weights(folder, cfg):
    """GPT-2: F32, one model.safetensors (Conv1D matrices stored [in, out]); returns what it holds."""
    E, L, vocab = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"]
    shapes = {"wte.weight": (vocab, E), "wpe.weight": (cfg["n_positions"], E), "ln_f.weight": (E,), "ln_f.bias": (E,)}
    for i in range(L):
        shapes.update({f"h.{i}.ln_1.weight": (E,), f"h.{i}.ln_1.bias": (E,),
                       f"h.{i}.attn.c_attn.weight": (E, 3 * E), f"h.{i}.attn.c_attn.bias": (3 * E,),
                       f"h.{i}.attn.c_proj.weight": (E, E), f"h.{i}.attn.c_proj.bias": (E,),
                       f"h.{i}.ln_2.weight": (E,), f"h.{i}.ln_2.bias": (E,),
                       f"h.{i}.mlp.c_fc.weight": (E, 4 * E), f"h.{i}.mlp.c_fc.bias": (4 * E,),
                       f"h.{i}.mlp.c_proj.weight": (4 * E, E), f"h.{i}.mlp.c_proj.bias": (E,)})
    w = random_weights(shapes, seed=2)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: ("F32", a) for n, a in w.items()})
    return w


def qwen2_weights(folder, cfg):
    """Qwen2: BF16 in two shards with an index; returns the float32 values the files hold."""
    E, F, L, vocab = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    kv = E // cfg["num_attention_heads"] * cfg["num_key_value_heads"]
    shards = [{"model.embed_tokens.weight": (vocab, E)}, {"model.norm.weight": (E,), "lm_head.weight": (vocab, E)}]
    for i in range(L):
        shards[i].update({f"model.layers.{i}.{n}": s for n, s in {
            "input_layernorm.weight": (E,), "post_attention_layernorm.weight": (E,),
            "self_attn.q_proj.weight": (E, E), "self_attn.q_proj.bias": (E,),
            "self_attn.k_proj.weight": (kv, E), "self_attn.k_proj.bias": (kv,),
            "self_attn.v_proj.weight": (kv, E), "self_attn.v_proj.bias": (kv,), "self_attn.o_proj.weight": (E, E),
            "mlp.gate_proj.weight": (F, E), "mlp.up_proj.weight": (F, E), "mlp.down_proj.weight": (E, F)}.items()})
    w = random_weights({n: s for shard in shards for n, s in shard.items()}, seed=3)
    stored = {n: bf16(a) for n, a in w.items()}
    os.makedirs(folder, exist_ok=True)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        total += write_safetensors(os.path.join(folder, fname), {n: ("BF16", stored[n][0]) for n in shard})
        weight_map.update({n: fname for n in shard})
    dump(os.path.join(folder, "model.safetensors.index.json"),
         {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, indent=2)
    return {n: values for n, (_, values) in stored.items()}


def decoder_shapes(cfg, layer):
    """Embedding, final norm, and per layer `layer(E, F, q, kv)` (hidden, ffn, query and key/value
    widths) under model.layers.N, in that order (the order fixes the random draws)."""
    E, F, H = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
    hd = cfg.get("head_dim", E // H)
    shapes = {"model.embed_tokens.weight": (cfg["vocab_size"], E), "model.norm.weight": (E,)}
    for i in range(cfg["num_hidden_layers"]):
        shapes.update({f"model.layers.{i}.{n}": s for n, s in layer(E, F, H * hd, hd * cfg["num_key_value_heads"]).items()})
    return shapes


def llama_layer(E, F, q, kv):
    return {"input_layernorm.weight": (E,), "post_attention_layernorm.weight": (E,), "self_attn.q_proj.weight": (q, E),
            "self_attn.k_proj.weight": (kv, E), "self_attn.v_proj.weight": (kv, E), "self_attn.o_proj.weight": (E, q),
            "mlp.gate_proj.weight": (F, E), "mlp.up_proj.weight": (F, E), "mlp.down_proj.weight": (E, F)}


def llama_weights(folder, cfg):
    """Llama: F16 in one model.safetensors, no biases, head tied; returns the float32 values it holds."""
    stored = {n: a.astype(np.float16) for n, a in random_weights(decoder_shapes(cfg, llama_layer), seed=5).items()}
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: ("F16", a) for n, a in stored.items()})
    return {n: a.astype(np.float32) for n, a in stored.items()}


def bf16_file(folder, shapes, seed):
    """Random weights stored BF16 in one model.safetensors; returns the float32 values it holds."""
    stored = {n: bf16(a) for n, a in random_weights(shapes, seed).items()}
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: ("BF16", bits) for n, (bits, _) in stored.items()})
    return {n: values for n, (_, values) in stored.items()}


def qwen3_weights(folder, cfg):
    """Qwen3: BF16, one file, no biases, q_norm/k_norm over head_dim (here twice hidden/heads), head tied."""
    hd = cfg["head_dim"]
    def layer(E, F, q, kv):  # the norms after o_proj
        items = list(llama_layer(E, F, q, kv).items())
        return dict(items[:6] + [("self_attn.q_norm.weight", (hd,)), ("self_attn.k_norm.weight", (hd,))] + items[6:])
    return bf16_file(folder, decoder_shapes(cfg, layer), seed=7)


def phi3_weights(folder, cfg):
    """Phi-3: BF16, one file, fused qkv_proj and gate_up_proj, no biases, head tied (as Phi-4-mini)."""
    layer = lambda E, F, q, kv: {
        "input_layernorm.weight": (E,), "post_attention_layernorm.weight": (E,), "self_attn.qkv_proj.weight": (q + 2 * kv, E),
        "self_attn.o_proj.weight": (E, q), "mlp.gate_up_proj.weight": (2 * F, E), "mlp.down_proj.weight": (E, F)}
    return bf16_file(folder, decoder_shapes(cfg, layer), seed=11)


def smollm3_weights(folder, cfg):
    """SmolLM3: Llama's tensors, BF16 in one file, head tied."""
    return bf16_file(folder, decoder_shapes(cfg, llama_layer), seed=17)


def bert_weights(folder, cfg):
    """BERT: F32, one model.safetensors under BertModel's names (no `bert.` prefix); returns what it holds."""
    E, F, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    shapes = {"embeddings.word_embeddings.weight": (cfg["vocab_size"], E),
              "embeddings.position_embeddings.weight": (cfg["max_position_embeddings"], E),
              "embeddings.token_type_embeddings.weight": (cfg["type_vocab_size"], E),
              "embeddings.LayerNorm.weight": (E,), "embeddings.LayerNorm.bias": (E,)}
    for i in range(L):
        p = f"encoder.layer.{i}."
        for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes.update({p + n + ".weight": (E, E), p + n + ".bias": (E,)})
        shapes.update({p + "intermediate.dense.weight": (F, E), p + "intermediate.dense.bias": (F,),
                       p + "output.dense.weight": (E, F), p + "output.dense.bias": (E,)})
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes.update({p + n + ".weight": (E,), p + n + ".bias": (E,)})
    return f32_file(folder, shapes, 31, ("LayerNorm", "norm"))


def nomic_bert_weights(folder, cfg):
    """nomic-bert: F32, one model.safetensors under NomicBertModel's names; returns what it holds."""
    E, F, L = cfg["n_embd"], cfg["n_inner"], cfg["n_layer"]
    shapes = {"embeddings.word_embeddings.weight": (cfg["vocab_size"], E), "embeddings.token_type_embeddings.weight": (cfg["type_vocab_size"], E),
              "emb_ln.weight": (E,), "emb_ln.bias": (E,)}
    for i in range(L):
        p = f"encoder.layers.{i}."
        shapes.update({p + "attn.Wqkv.weight": (3 * E, E), p + "attn.out_proj.weight": (E, E), p + "mlp.fc11.weight": (F, E),
                       p + "mlp.fc12.weight": (F, E), p + "mlp.fc2.weight": (E, F)})
        for n in ("norm1", "norm2"):
            shapes.update({p + n + ".weight": (E,), p + n + ".bias": (E,)})
    return f32_file(folder, shapes, 37, ("emb_ln", "emb_norm"))


def f32_file(folder, shapes, seed, rename):
    """Random F32 weights of `shapes` in one model.safetensors. `rename` (checkpoint spelling, one with
    "norm" in it) marks LayerNorm weights the way random_weights recognizes them (≈ 1)."""
    hf, tagged = rename
    w = random_weights({n.replace(hf, tagged): s for n, s in shapes.items()}, seed=seed)
    w = {n.replace(tagged, hf): a for n, a in w.items()}
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: ("F32", a) for n, a in w.items()})
    return w


def gemma3_weights(folder, cfg):
    """Gemma 3 as Gemma3ForConditionalGeneration (gemma-3-4b-it) stores it: BF16, one file, the text
    weights under language_model.model., norm weights as Gemma3RMSNorm holds them (w, the forward
    scaling by 1 + w: here w ~ 0.1 N(0, 1)), head tied; plus one small multimodal projector tensor
    (a text-only server leaves it alone)."""
    layer = lambda E, F, q, kv: {
        "input_layernorm.weight": (E,), "self_attn.q_proj.weight": (q, E), "self_attn.k_proj.weight": (kv, E),
        "self_attn.v_proj.weight": (kv, E), "self_attn.o_proj.weight": (E, q), "self_attn.q_norm.weight": (q // cfg["text_config"]["num_attention_heads"],),
        "self_attn.k_norm.weight": (q // cfg["text_config"]["num_attention_heads"],), "post_attention_layernorm.weight": (E,),
        "pre_feedforward_layernorm.weight": (E,), "mlp.gate_proj.weight": (F, E), "mlp.up_proj.weight": (F, E),
        "mlp.down_proj.weight": (E, F), "post_feedforward_layernorm.weight": (E,)}
    w = random_weights(decoder_shapes(cfg["text_config"], layer), seed=19)
    w = {"language_model." + n: (a - np.float32(1) if "norm" in n else a) for n, a in w.items()}
    vision = cfg["vision_config"]["hidden_size"]
    w["multi_modal_projector.mm_input_projection_weight"] = random_weights({"p": (vision, cfg["text_config"]["hidden_size"])}, seed=23)["p"]
    stored = {n: bf16(a) for n, a in w.items()}
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: ("BF16", bits) for n, (bits, _) in stored.items()})
    return {n: values for n, (_, values) in stored.items()}


WEIGHTS = {"tiny-bert": bert_weights, "tiny-nomic-bert": nomic_bert_weights, "tiny-gpt2": gpt2_weights, "tiny-qwen2": qwen2_weights, "tiny-llama": llama_weights,
           "tiny-qwen3": qwen3_weights, "tiny-phi3": phi3_weights, "tiny-smollm3": smollm3_weights,
           "tiny-gemma3": gemma3_weights}


# ---------------------------------------------------------------- tiny GPT-2
def make_gpt2(texts, corpus):
    folder = os.path.join(FIX, "tiny-gpt2")
    tok = train(pre_tokenizers.ByteLevel(add_prefix_space=False), 560, texts)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    eot = tok.token_to_id("<|endoftext|>")
    vocab = tok.get_vocab_size()
    cfg = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
           "bos_token_id": eot, "embd_pdrop": 0.0, "eos_token_id": eot, "initializer_range": 0.02,
           "layer_norm_epsilon": 1e-5, "model_type": "gpt2", "n_ctx": 64, "n_embd": 64, "n_head": 4, "n_inner": None,
           "n_layer": 2, "n_positions": 64, "resid_pdrop": 0.0, "scale_attn_weights": True, "tie_word_embeddings": True,
           "torch_dtype": "float32", "use_cache": True, "vocab_size": vocab}
    w = gpt2_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": eot, "eos_token_id": eot}, {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": "<|endoftext|>", "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>", "model_max_length": cfg["n_positions"], "tokenizer_class": "GPT2Tokenizer",
        "unk_token": "<|endoftext|>"})
    return goldens(folder, gpt2_forward, w, cfg, tok, corpus, ["The harbor town sits at the mouth of a slow river.",
                                                               "x = 1<|endoftext|>Hello, world!"], "F32")


# ---------------------------------------------------------------- tiny BERT (an encoder)
def make_bert(texts):
    folder = os.path.join(FIX, "tiny-bert")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    cfg = {"architectures": ["BertModel"], "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
           "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 128, "layer_norm_eps": 1e-12,
           "max_position_embeddings": 64, "model_type": "bert", "num_attention_heads": 4, "num_hidden_layers": 2,
           "pad_token_id": 0, "position_embedding_type": "absolute", "torch_dtype": "float32", "type_vocab_size": 2,
           "vocab_size": tok.get_vocab_size()}
    w = bert_weights(folder, cfg)
    write_folder(folder, tok, cfg, {}, {"cls_token": "[CLS]", "do_lower_case": True, "mask_token": "[MASK]", "model_max_length": 64,
                                        "pad_token": "[PAD]", "sep_token": "[SEP]", "tokenizer_class": "BertTokenizer",
                                        "unk_token": "[UNK]"})
    os.remove(os.path.join(folder, "generation_config.json"))  # an encoder generates nothing
    encoder_reference(folder, bert_forward, w, cfg, tok)
    return folder


def make_nomic_bert():
    """tiny-bert's tokenizer, nomic-bert's layers."""
    folder = os.path.join(FIX, "tiny-nomic-bert")
    tok = Tokenizer.from_file(os.path.join(FIX, "tiny-bert", "tokenizer.json"))
    cfg = {"activation_function": "swiglu", "architectures": ["NomicBertModel"], "causal": False, "layer_norm_epsilon": 1e-12,
           "mlp_fc1_bias": False, "mlp_fc2_bias": False, "model_type": "nomic_bert", "n_embd": 64, "n_head": 4, "n_inner": 96,
           "n_layer": 2, "n_positions": 64, "prenorm": False, "qkv_proj_bias": False, "rotary_emb_base": 1000,
           "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": False, "type_vocab_size": 2, "vocab_size": tok.get_vocab_size()}
    w = nomic_bert_weights(folder, cfg)
    write_folder(folder, tok, cfg, {}, json.loads(read(os.path.join("tiny-bert", "tokenizer_config.json"))))
    os.remove(os.path.join(folder, "generation_config.json"))
    encoder_reference(folder, nomic_bert_forward, w, cfg, tok)
    return folder


def encoder_reference(folder, forward, w, cfg, tok):
    """reference.json of an encoder: per text its ids, final hidden states and pooled normalized vectors."""
    w64 = {n: a.astype(np.float64) for n, a in w.items()}
    seqs = []
    for text in ["The lighthouse keeper counted the ships, twice.", "Café au lait: 3 cups!", "A river."]:
        ids = tok.encode(text).ids
        hidden = forward(w64, cfg, ids)
        unit = lambda v: v / np.linalg.norm(v)
        seqs.append({"text": text, "token_ids": ids, "hidden": [[float(np.float32(v)) for v in row] for row in hidden],
                     "mean": [float(np.float32(v)) for v in unit(hidden.mean(0))],
                     "cls": [float(np.float32(v)) for v in unit(hidden[0])]})
    dump(os.path.join(folder, "reference.json"), {"model": os.path.basename(folder), "dtype": "F32",
                                                  "math": "float64 NumPy on the stored weights",
                                                  "tokenizers": tokenizers.__version__, "sequences": seqs})


# ---------------------------------------------------------------- tiny Qwen2
def chatml_tokenizer(texts, added):
    """Qwen's: NFC, Qwen2's split, ChatML specials, then `added` as plain added tokens."""
    tok = train(qwen2_pre_tokenizer(), 600, texts, normalizer=normalizers.NFC())
    tok.add_special_tokens([AddedToken(t, special=True) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in added])
    return tok


def make_qwen2(texts, corpus):
    folder = os.path.join(FIX, "tiny-qwen2")
    tok = chatml_tokenizer(texts, ["<tool_call>", "</tool_call>"])
    eot, im_end = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<|im_end|>")
    vocab = (tok.get_vocab_size() + 63) // 64 * 64        # padded past the tokenizer, as Qwen2's checkpoints are
    cfg = {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": eot, "eos_token_id": eot,
           "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 128,
           "max_position_embeddings": 128, "max_window_layers": 2, "model_type": "qwen2", "num_attention_heads": 4,
           "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "rope_scaling": None,
           "rope_theta": 10000.0, "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
           "use_cache": True, "use_sliding_window": False, "vocab_size": vocab}
    w = qwen2_weights(folder, cfg)
    tok.save(os.path.join(folder, "tokenizer.json"))
    dump(os.path.join(folder, "config.json"), cfg, indent=2)
    # Greedy by default, as some chat checkpoints ship: a server must take it for omitted fields.
    dump(os.path.join(folder, "generation_config.json"), {"bos_token_id": eot, "eos_token_id": [im_end, eot],
                                                          "pad_token_id": eot, "temperature": 0.0, "top_k": 1}, indent=2)
    dump(os.path.join(folder, "tokenizer_config.json"), {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": None, "chat_template": read("chat-templates/qwen2.5.jinja"),
        "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
        "model_max_length": cfg["max_position_embeddings"], "pad_token": "<|endoftext|>", "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None}, indent=2)
    return goldens(folder, qwen2_forward, w, cfg, tok, corpus, ["<|im_start|>user\nHello there!<|im_end|>\n",
                                                                "Numbers like 3.14159 and 2,718 appear."])


# ---------------------------------------------------------------- tiny Llama
def make_llama(texts):
    """Llama from safetensors: F16 in one file, no biases, one KV head, head tied to the embedding."""
    folder = os.path.join(FIX, "tiny-llama")
    tok = train(qwen2_pre_tokenizer(), 500, texts, normalizer=normalizers.NFC())
    tok.add_special_tokens([AddedToken(t, special=True) for t in ["<|begin_of_text|>", "<|end_of_text|>"]])
    bos, eos = tok.token_to_id("<|begin_of_text|>"), tok.token_to_id("<|end_of_text|>")
    vocab = tok.get_vocab_size()
    cfg = {"architectures": ["LlamaForCausalLM"], "bos_token_id": bos, "eos_token_id": eos, "hidden_act": "silu",
           "hidden_size": 64, "intermediate_size": 160, "max_position_embeddings": 96, "model_type": "llama",
           "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-5,
           "rope_scaling": None, "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "float16",
           "vocab_size": vocab}
    w = llama_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": bos, "eos_token_id": eos}, {
        "add_bos_token": True, "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
        "model_max_length": cfg["max_position_embeddings"], "tokenizer_class": "PreTrainedTokenizerFast"})
    reference(qwen2_forward, w, cfg, tok, ["The lighthouse keeper counted the ships.", "A river, 3 bridges and 12 boats."],
              folder, "F16")
    return folder


def goldens(folder, forward, w, cfg, tok, corpus, texts, dtype="BF16"):
    """A folder's reference.json (logits of `texts`) and tokens.json (the corpus's ids)."""
    reference(forward, w, cfg, tok, texts, folder, dtype)
    dump(os.path.join(folder, "tokens.json"), {"tokenizers": tokenizers.__version__, "add_special": False, **golden_ids(tok, corpus)})
    return folder


# ---------------------------------------------------------------- tiny Qwen3
def make_qwen3(texts, corpus):
    """Qwen3 from safetensors and GGUF: BF16, head_dim 32 with hidden 64 and 4 heads, Q/K norms, tied head."""
    folder = os.path.join(FIX, "tiny-qwen3")
    tok = chatml_tokenizer(texts, ["<think>", "</think>", "<tool_call>", "</tool_call>"])
    eot, im_end = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<|im_end|>")
    cfg = {"architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": eot,
           "eos_token_id": im_end, "head_dim": 32, "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02,
           "intermediate_size": 96, "max_position_embeddings": 128, "max_window_layers": 2, "model_type": "qwen3",
           "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
           "rope_scaling": None, "rope_theta": 1000000.0, "sliding_window": None, "tie_word_embeddings": True,
           "torch_dtype": "bfloat16", "use_cache": True, "use_sliding_window": False, "vocab_size": tok.get_vocab_size()}
    w = qwen3_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": eot, "eos_token_id": [im_end, eot]}, {
        "add_bos_token": False, "bos_token": None, "chat_template": read("chat-templates/qwen3.jinja"),
        "eos_token": "<|im_end|>", "model_max_length": cfg["max_position_embeddings"], "pad_token": "<|endoftext|>",
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None})
    return goldens(folder, qwen2_forward, w, cfg, tok, corpus, ["<|im_start|>user\nWhy is the sky blue?<|im_end|>\n",
                                                                "The 7 ferries left at 10:45, all full."])


# ---------------------------------------------------------------- tiny Phi-3 (Phi-4-mini style)
def make_phi3(texts, corpus):
    """Phi-3 from safetensors and GGUF, shaped like Phi-4-mini: BF16, fused qkv and gate/up, GQA,
    partial rotary (0.75), LongRoPE (long factors: the context 128 exceeds the original 32), tied
    head, and Phi-4-mini's "gpt-4o" pre-tokenizer."""
    folder = os.path.join(FIX, "tiny-phi3")
    tok = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(GPT4O_REGEX), behavior="isolated", invert=False),
                                         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 600, texts)
    tok.add_special_tokens([AddedToken(t, special=True) for t in
                            ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|tool|>", "<|/tool|>"]])
    eot, end = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<|end|>")
    rng = np.random.default_rng(13)
    rot = int(64 // 4 * 0.75)
    cfg = {"architectures": ["Phi3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": eot,
           "embd_pdrop": 0.0, "eos_token_id": eot, "full_attn_mod": 1, "hidden_act": "silu", "hidden_size": 64,
           "initializer_range": 0.02, "intermediate_size": 96, "interpolate_factor": 1, "lm_head_bias": False,
           "max_position_embeddings": 128, "mlp_bias": False, "model_type": "phi3", "num_attention_heads": 4,
           "num_hidden_layers": 2, "num_key_value_heads": 2, "original_max_position_embeddings": 32,
           "pad_token_id": eot, "partial_rotary_factor": 0.75, "resid_pdrop": 0.0, "rms_norm_eps": 1e-5,
           "rope_scaling": {"long_factor": [round(float(v), 4) for v in 1 + 3 * rng.random(rot // 2)],
                            "short_factor": [round(float(v), 4) for v in 1 + 0.5 * rng.random(rot // 2)], "type": "longrope"},
           "rope_theta": 10000.0, "sliding_window": 262144, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
           "use_cache": True, "vocab_size": tok.get_vocab_size()}
    w = phi3_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": eot, "eos_token_id": [eot, end], "pad_token_id": eot}, {
        "add_bos_token": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
        "model_max_length": cfg["max_position_embeddings"], "pad_token": "<|endoftext|>", "tokenizer_class": "GPT2Tokenizer",
        "unk_token": "<|endoftext|>"})
    return goldens(folder, phi3_forward, w, cfg, tok, corpus, ["<|user|>What's the tide at 6am?<|end|><|assistant|>",
                                                               "Ships don't sail; THE harbor'S CLOSED 1234567."])


# ---------------------------------------------------------------- tiny SmolLM3
def make_smollm3(texts):
    """SmolLM3 from safetensors and GGUF: Llama with RoPE left out of every fourth layer (4 layers)."""
    folder = os.path.join(FIX, "tiny-smollm3")
    tok = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
                                         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 500, texts)
    tok.add_special_tokens([AddedToken(t, special=True) for t in ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"]])
    bos, eos = tok.token_to_id("<|begin_of_text|>"), tok.token_to_id("<|im_end|>")
    cfg = {"architectures": ["SmolLM3ForCausalLM"], "attention_bias": False, "bos_token_id": bos, "eos_token_id": eos,
           "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 128, "max_position_embeddings": 128,
           "model_type": "smollm3", "no_rope_layer_interval": 4, "no_rope_layers": [1, 1, 1, 0],
           "num_attention_heads": 4, "num_hidden_layers": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
           "rope_scaling": None, "rope_theta": 5000000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
           "vocab_size": tok.get_vocab_size()}
    w = smollm3_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": bos, "eos_token_id": eos}, {
        "add_bos_token": False, "bos_token": "<|begin_of_text|>", "chat_template": read("chat-templates/smollm3.jinja"),
        "eos_token": "<|im_end|>", "model_max_length": cfg["max_position_embeddings"], "tokenizer_class": "PreTrainedTokenizerFast"})
    reference(qwen2_forward, w, cfg, tok, ["<|im_start|>user\nName three rivers.<|im_end|>\n",
                                           "Fourteen gulls and 3 terns sat on the old pier."], folder, "BF16")
    return folder


# ---------------------------------------------------------------- tiny Gemma 3 (4B-like)
def gemma_tokenizer():
    """The "gemma" variant of hf-sentencepiece-variants.json (make_sentencepiece_golden.py) as a
    tokenizer.json: a SentencePiece-style BPE with byte fallback, spaces replaced by "▁", <bos> added."""
    spm = json.loads(read("hf-sentencepiece-variants.json"))
    parts = next(v for v in spm["variants"] if v["name"] == "gemma")["parts"]
    j = {"version": "1.0", "truncation": None, "padding": None, **parts, "model": dict(spm["model"], fuse_unk=True)}
    return Tokenizer.from_str(json.dumps(j))


def make_gemma3(texts):
    """Gemma 3 4B's layout, small: Gemma3ForConditionalGeneration with a text_config, BF16, 7 layers
    (sliding_window_pattern 6: layers 0-4 and 6 local, 5 global), a sliding window of 5 tokens (the
    reference prompts run to 20), linear RoPE scaling (factor 8) on the global layer, head_dim 32 with
    hidden 64 and 4 heads (query_pre_attn_scalar = head_dim, as in 4B), GQA 4/2, tied head.
    reference.json also records how far the logits move when the linear factor is applied nowhere or
    on every layer, so the fixture is known to tell those apart from the model."""
    folder = os.path.join(FIX, "tiny-gemma3")
    tok = gemma_tokenizer()
    vocab = tok.get_vocab_size()
    bos, eos, eot = tok.token_to_id("<bos>"), tok.token_to_id("</s>"), tok.token_to_id("<end_of_turn>")
    cfg = {"architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": vocab - 2, "eoi_token_index": vocab - 1,
           "eos_token_id": [eos, eot], "image_token_index": vocab, "initializer_range": 0.02, "mm_tokens_per_image": 4,
           "model_type": "gemma3",
           "text_config": {"attention_bias": False, "attention_dropout": 0.0, "attn_logit_softcapping": None,
                           "final_logit_softcapping": None, "head_dim": 32, "hidden_activation": "gelu_pytorch_tanh",
                           "hidden_size": 64, "intermediate_size": 96, "max_position_embeddings": 128, "model_type": "gemma3_text",
                           "num_attention_heads": 4, "num_hidden_layers": 7, "num_key_value_heads": 2, "query_pre_attn_scalar": 32,
                           "rms_norm_eps": 1e-6, "rope_local_base_freq": 10000.0, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                           "rope_theta": 1000000.0, "sliding_window": 5, "sliding_window_pattern": 6, "vocab_size": vocab},
           "torch_dtype": "bfloat16",
           "vision_config": {"hidden_size": 16, "image_size": 32, "intermediate_size": 32, "model_type": "siglip_vision_model",
                             "num_attention_heads": 2, "num_hidden_layers": 1, "patch_size": 8, "vision_use_head": False}}
    w = gemma3_weights(folder, cfg)
    write_folder(folder, tok, cfg, {"bos_token_id": bos, "eos_token_id": [eos, eot], "pad_token_id": 0}, {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>", "chat_template": read("chat-templates/gemma-3.jinja"),
        "eos_token": "</s>", "model_max_length": cfg["text_config"]["max_position_embeddings"], "pad_token": "<unk>",
        "tokenizer_class": "GemmaTokenizer", "unk_token": "<unk>"})
    texts = ["<start_of_turn>user\nWhen does the ferry leave the harbor?<end_of_turn>\n<start_of_turn>model\n",
             "Seven gulls, two herons and 3 terns rested on the old stone pier."]
    limit = 20
    w64 = {n: a.astype(np.float64) for n, a in w.items()}
    ids = [tok.encode(t).ids[:limit] for t in texts]
    assert all(len(x) == limit for x in ids) and cfg["text_config"]["sliding_window"] < limit
    truth = [gemma3_forward(w64, cfg, x) for x in ids]

    def moved(**kw):  # the largest change of a logit, relative to the row's largest reference logit
        return max(float((np.abs(gemma3_forward(w64, cfg, x, **kw) - ref) / np.abs(ref).max(-1, keepdims=True)).max())
                   for x, ref in zip(ids, truth))
    local_only = json.loads(json.dumps(cfg))
    local_only["text_config"]["sliding_window"] = limit
    differences = {"linear_rope_on_no_layer": moved(linear_on="none"), "linear_rope_on_every_layer": moved(linear_on="all"),
                   "no_sliding_window": max(float((np.abs(gemma3_forward(w64, local_only, x) - ref) / np.abs(ref).max(-1, keepdims=True)).max())
                                            for x, ref in zip(ids, truth))}
    assert min(differences.values()) > 1e-2, differences  # each at least 100 times the tests' 1e-4
    reference(gemma3_forward, w, cfg, tok, texts, folder, "BF16", limit=limit, extra={"variant_differences": differences})
    return folder


# ---------------------------------------------------------------- tokenizer.json variants
PROBES = [
    "hello world", "lo world", "concatenate the cat, cat!", "a  <mask> b", "x[R]   y", "[R]", "  <mask>", "résumé",
    unicodedata.normalize("NFD", "résumé café"), "e\u0301", "<|im_start|>user\nhi<|im_end|>", "<|im_start|><|im_start|>",
    "the harbor town", " the harbor town", "Thetown", "1234567 89", "ﬁ ｆｕｌｌ １２３ ½ Ⅻ", "中文 字", "ñandú ÅÆ", "\t\n \r\n x",
]


def variants(texts, corpus):
    strings = corpus[:160] + PROBES
    ascii_texts = [t.encode("ascii", "ignore").decode() for t in texts]
    out = []

    def add(name, tok, note, edit=None, add_special=True):
        j = json.loads(tok.to_str())
        if edit:
            edit(j)
        tok = Tokenizer.from_str(json.dumps(j))      # the package must accept the edited file
        out.append({"name": name, "note": note, "tokenizer": j, "add_special": add_special, **golden_ids(tok, strings, add_special)})

    t = train(pre_tokenizers.ByteLevel(add_prefix_space=False), 300, texts, normalizer=normalizers.NFC())
    t.add_special_tokens([AddedToken("<|im_start|>", special=True), AddedToken("<mask>", special=True, lstrip=True),
                          AddedToken("[R]", special=True, rstrip=True), AddedToken("e\u0301", special=True, normalized=False)])
    t.add_tokens([AddedToken("lo w", special=False, normalized=False), AddedToken("world", special=False),
                  AddedToken("cat", special=False, single_word=True), AddedToken("résumé", special=False, normalized=True),
                  AddedToken("<|im_end|>", special=False, normalized=False)])
    add("added-tokens", t, "leftmost-longest matching, lstrip/rstrip/single_word, normalized and raw matching")

    t = train(pre_tokenizers.ByteLevel(add_prefix_space=True), 300, texts)
    t.add_special_tokens([AddedToken("<|begin_of_text|>", special=True)])
    bos = t.token_to_id("<|begin_of_text|>")
    t.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", bos)])

    def string_merges(j):
        j["model"]["merges"] = [" ".join(m) for m in j["model"]["merges"]]
    add("prefix-space-bos", t, "ByteLevel add_prefix_space per fragment, 'a b' string merges, BOS template", string_merges)

    t = train(pre_tokenizers.ByteLevel(add_prefix_space=False), 300, texts)

    def whole_words(j):
        m = j["model"]
        m["ignore_merges"] = True
        for word in ["Ġharbor", "town", "Ġthe", "Thetown"]:
            m["vocab"].setdefault(word, len(m["vocab"]))
    add("ignore-merges", t, "ignore_merges with whole words in the vocabulary that merges cannot reach", whole_words)

    t = train(pre_tokenizers.ByteLevel(add_prefix_space=False), 160, ascii_texts, alphabet=False)

    def byte_fallback(j):
        m = j["model"]
        m["byte_fallback"] = True
        for b in range(256):
            m["vocab"].setdefault(f"<0x{b:02X}>", len(m["vocab"]))
    add("byte-fallback", t, "characters missing from the vocabulary become <0xNN> tokens", byte_fallback)

    def unknown(fuse):
        def edit(j):
            m = j["model"]
            m["vocab"].setdefault("<unk>", len(m["vocab"]))
            m["unk_token"], m["fuse_unk"] = "<unk>", fuse
        return edit
    add("unk-fused", t, "missing characters become one <unk> per run", unknown(True))
    add("unk", t, "missing characters become one <unk> each", unknown(False))
    add("dropped", t, "missing characters without byte fallback or unk token are dropped")

    t = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 300, texts)
    add("llama3-split", t, "Llama 3's Split pattern (numbers of up to three digits)")

    t = train(qwen2_pre_tokenizer(pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)), 300, texts,
              normalizer=normalizers.Sequence([normalizers.NFKC()]))
    add("nfkc-split-bytelevel", t, "NFKC in a Sequence; Qwen2 Split then ByteLevel with its own regex and prefix space")

    t = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(GPT2_REGEX), behavior="isolated", invert=False),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 300, texts,
              normalizer=normalizers.Sequence([normalizers.NFD(), normalizers.NFKD()]))
    add("nfd-gpt2-split", t, "NFD and NFKD; GPT-2's pattern as a Split")

    t = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(TEKKEN_REGEX), behavior="isolated", invert=False),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 300, texts)
    add("tekken-split", t, "Tekken's Split pattern (Mistral Nemo): case-split words, single digits, ignore_merges",
        lambda j: j["model"].update(ignore_merges=True))
    t = train(pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(GPT4O_REGEX), behavior="isolated", invert=False),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 300, texts)
    add("gpt4o-split", t, "GPT-4o's Split pattern (Phi-4-mini) on the probes: marks, NFD text, case changes")
    dump(os.path.join(FIX, "hf-tokenizer-variants.json"),
         {"tokenizers": tokenizers.__version__, "strings": strings, "variants": out})


def main(only=()):
    """Every fixture, or with `--only tiny-qwen3 ... [variants]` just those (the others untouched)."""
    corpus = json.loads(read("tokenizer-corpus.json"))
    texts = read("eval-text.txt").split("\n") + corpus
    makers = {"tiny-gpt2": lambda: make_gpt2(texts, corpus), "tiny-qwen2": lambda: make_qwen2(texts, corpus),
              "tiny-llama": lambda: make_llama(texts), "tiny-qwen3": lambda: make_qwen3(texts, corpus),
              "tiny-phi3": lambda: make_phi3(texts, corpus), "tiny-smollm3": lambda: make_smollm3(texts),
              "tiny-gemma3": lambda: make_gemma3(texts),
              "tiny-bert": lambda: make_bert(texts), "tiny-nomic-bert": make_nomic_bert}
    for name, make in makers.items():
        if only and name not in only:
            continue
        folder = make()
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        print(os.path.basename(folder), sorted(os.listdir(folder)), size, "bytes")
    if only and "variants" not in only:
        return
    variants(texts, corpus)
    print("hf-tokenizer-variants.json", os.path.getsize(os.path.join(FIX, "hf-tokenizer-variants.json")), "bytes")


def greedy_tiny_llama():
    """Tests/Fixtures/tiny-llama/greedy.json: greedy continuations of token-id prompts from the float64
    forward above (one prompt spans two KV blocks of 16), with each step's margin between the best
    and the second-best logit, so a test comparing float32 engine output can trust the argmax."""
    folder = os.path.join(FIX, "tiny-llama")
    cfg = json.loads(read(os.path.join("tiny-llama", "config.json")))
    w64 = {n: a.astype(np.float64) for n, a in llama_weights(folder, cfg).items()}
    bos = cfg["bos_token_id"]
    # Chosen among random prompts for clear argmaxes (every step's margin above 0.05).
    prompts = [[bos, 374, 480, 46, 362, 146, 270, 462, 138, 362, 80, 161, 484, 210, 258, 146, 57, 212, 311, 227, 388, 181],
               [bos, 386, 458, 213, 19, 359, 264, 436, 229, 184, 31, 228, 320, 385, 426],
               [bos, 447, 398, 211, 287, 294, 445, 12, 244, 336], [bos] + [100 + 7 * i for i in range(20)]]
    out = []
    for prompt in prompts:
        ids, margins = list(prompt), []
        for _ in range(24):
            logits = qwen2_forward(w64, cfg, ids)[-1]
            top2 = np.sort(logits)[-2:]
            margins.append(float(top2[1] - top2[0]))
            ids.append(int(np.argmax(logits)))
        out.append({"prompt": prompt, "completion": ids[len(prompt):], "min_margin": min(margins)})
    with open(os.path.join(folder, "greedy.json"), "w") as f:   # one sequence a line
        f.write('{"model": "tiny-llama", "math": "float64 NumPy on the stored weights, argmax", "sequences": [\n')
        f.write(",\n".join(json.dumps(o) for o in out) + "\n]}\n")
    print("tiny-llama greedy: smallest top-2 logit margin", min(o["min_margin"] for o in out))


def weights_only():
    """The weight files of the committed folders, from their config.json alone (scripts/test)."""
    for name, write in WEIGHTS.items():
        write(os.path.join(FIX, name), json.loads(read(os.path.join(name, "config.json"))))


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--only"]:
        main(sys.argv[2:])
    else:
        {"--weights-only": weights_only, "--greedy": greedy_tiny_llama}.get(sys.argv[1] if sys.argv[1:] else "", main)()
