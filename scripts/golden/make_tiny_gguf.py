#!/usr/bin/env python3
"""Convert the tiny random Hugging Face checkpoints (Tests/Fixtures/tiny-qwen2, tiny-gpt2,
tiny-qwen3, tiny-phi3, tiny-smollm3, tiny-bert, tiny-nomic-bert, tiny-gemma3, made by make_tiny_checkpoints.py) to GGUF files next to them, named and
laid out as llama.cpp's converter does (F32 tensors; Phi-3's LongRoPE factors as
rope_factors_long/short tensors), so Tern's GGUF path for each is checked against the same
NumPy reference logits as its safetensors path.

scripts/test runs it after `make_tiny_checkpoints.py --weights-only` (the weight files are not
committed; Tests/Fixtures/tiny-weights.sha256 pins their bytes). By hand:
  python3 -m venv ~/.cache/tern/venv-fixtures && ~/.cache/tern/venv-fixtures/bin/pip install numpy gguf
  ~/.cache/tern/venv-fixtures/bin/python scripts/golden/make_tiny_gguf.py
"""
import json
import math
import os

import struct

import gguf
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Tests", "Fixtures")


def load_file(path):
    """A safetensors file as float32 arrays (NumPy has no bfloat16: widen it by hand)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        data = raw[8 + n + b:8 + n + e]
        if info["dtype"] == "BF16":
            array = (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(data, dtype={"F32": "<f4", "F16": "<f2"}[info["dtype"]]).astype(np.float32)
        out[name] = array.reshape(info["shape"])
    return out


def tensors(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for f in files:
        out.update({k: v.astype(np.float32) for k, v in load_file(os.path.join(folder, f)).items()})
    return out


def tokenizer_metadata(w, folder, pre, vocab_size):
    tok = json.load(open(os.path.join(folder, "tokenizer.json")))
    vocab = dict(tok["model"]["vocab"])
    for added in tok.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    size = max(max(vocab.values()) + 1, vocab_size)  # padded to the embedding's rows, as llama.cpp does
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [gguf.TokenType.UNUSED] * size
    special = {a["content"] for a in tok.get("added_tokens", []) if a.get("special")}
    for text, i in vocab.items():
        tokens[i] = text
        types[i] = gguf.TokenType.CONTROL if text in special else gguf.TokenType.NORMAL
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    eos = next((vocab[t] for t in ("<|endoftext|>", "<|im_end|>") if t in vocab), None)
    if eos is not None:
        w.add_eos_token_id(eos)
    w.add_add_bos_token(False)
    return size


LLAMA_NAMES = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm", "self_attn.q_proj": "attn_q",
               "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
               "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "self_attn.qkv_proj": "attn_qkv",
               "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.gate_up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}


def llama_like(folder, arch, pre):
    """Qwen2, Qwen3 and Phi-3 (names as convert_hf_to_gguf.py writes them; NeoX models, so Q/K unpermuted)."""
    cfg = json.load(open(os.path.join(folder, "config.json")))
    t = tensors(folder)
    w = gguf.GGUFWriter(os.path.join(folder, "model.gguf"), arch)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"])
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    if "head_dim" in cfg:  # Qwen3: head_dim apart from hidden/heads
        w.add_key_length(cfg["head_dim"])
        w.add_value_length(cfg["head_dim"])
    if arch == "phi3":
        longrope(w, cfg, t)
    tokenizer_metadata(w, folder, pre, cfg["vocab_size"])
    return cfg, t, w


def longrope(w, cfg, t):
    """Phi-3's rope dimensions, original context, attention factor and factor tensors, as phi.py writes them."""
    heads, width = cfg["num_attention_heads"], cfg["hidden_size"]
    rope_dims = int(cfg.get("partial_rotary_factor", 1.0) * width) // heads
    orig, ctx = cfg["original_max_position_embeddings"], cfg["max_position_embeddings"]
    w.add_rope_dimension_count(rope_dims)
    w.add_rope_scaling_orig_ctx_len(orig)
    w.add_sliding_window(cfg.get("sliding_window") or 0)
    scale = ctx / orig
    w.add_rope_scaling_attn_factors(math.sqrt(1 + math.log(scale) / math.log(orig)) if scale > 1 else 1.0)
    t["rope_factors_long.weight"] = np.array(cfg["rope_scaling"]["long_factor"], dtype=np.float32)
    t["rope_factors_short.weight"] = np.array(cfg["rope_scaling"]["short_factor"], dtype=np.float32)


def qwen2(folder, arch="qwen2", pre="qwen2"):
    cfg, t, w = llama_like(folder, arch, pre)
    names = LLAMA_NAMES
    if arch == "smollm3":  # a llama-rotation architecture: Q/K rows permuted to interleaved pairs, as llama.cpp's converter does
        for i in range(cfg["num_hidden_layers"]):
            for proj, heads in (("q_proj", cfg["num_attention_heads"]), ("k_proj", cfg["num_key_value_heads"])):
                key = f"model.layers.{i}.self_attn.{proj}.weight"
                m = t[key]
                t[key] = m.reshape(heads, 2, m.shape[0] // heads // 2, *m.shape[1:]).swapaxes(1, 2).reshape(m.shape).copy()
    w.add_tensor("token_embd.weight", t["model.embed_tokens.weight"])
    for name in ("rope_factors_long.weight", "rope_factors_short.weight"):
        if name in t:
            w.add_tensor(name, t[name])
    for i in range(cfg["num_hidden_layers"]):
        for hf, g in names.items():
            for kind in ("weight", "bias"):
                key = f"model.layers.{i}.{hf}.{kind}"
                if key in t:
                    w.add_tensor(f"blk.{i}.{g}.{kind}", t[key])
    w.add_tensor("output_norm.weight", t["model.norm.weight"])
    if "lm_head.weight" in t:
        w.add_tensor("output.weight", t["lm_head.weight"])
    finish(w)


def gpt2(folder):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    t = {k.removeprefix("transformer."): v for k, v in tensors(folder).items()}
    w = gguf.GGUFWriter(os.path.join(folder, "model.gguf"), "gpt2")
    w.add_context_length(cfg["n_positions"])
    w.add_embedding_length(cfg["n_embd"])
    w.add_feed_forward_length(cfg.get("n_inner") or 4 * cfg["n_embd"])
    w.add_block_count(cfg["n_layer"])
    w.add_head_count(cfg["n_head"])
    w.add_layer_norm_eps(cfg["layer_norm_epsilon"])
    tokenizer_metadata(w, folder, "gpt-2", cfg["vocab_size"])
    w.add_tensor("token_embd.weight", t["wte.weight"])
    w.add_tensor("position_embd.weight", t["wpe.weight"])
    names = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output", "ln_2": "ffn_norm",
             "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
    for i in range(cfg["n_layer"]):
        for hf, g in names.items():
            weight = t[f"h.{i}.{hf}.weight"]
            # Conv1D stores (in, out); GGUF rows are output features, as llama.cpp's converter writes them.
            w.add_tensor(f"blk.{i}.{g}.weight", weight.T.copy() if hf.startswith(("attn.", "mlp.")) else weight)
            w.add_tensor(f"blk.{i}.{g}.bias", t[f"h.{i}.{hf}.bias"])
    w.add_tensor("output_norm.weight", t["ln_f.weight"])
    w.add_tensor("output_norm.bias", t["ln_f.bias"])
    finish(w)


def nomic_bert(folder):
    """nomic-bert as llama.cpp's converter writes it (fused attn_qkv, ffn_up = fc11, ffn_gate = fc12)."""
    cfg = json.load(open(os.path.join(folder, "config.json")))
    t = tensors(folder)
    w = encoder_writer(folder, "nomic-bert", *(cfg[k] for k in ("n_positions", "n_embd", "n_inner", "n_layer", "n_head", "layer_norm_epsilon")))
    w.add_rope_freq_base(cfg["rotary_emb_base"])
    w.add_tensor("token_embd.weight", t["embeddings.word_embeddings.weight"])
    w.add_tensor("token_types.weight", t["embeddings.token_type_embeddings.weight"])
    w.add_tensor("token_embd_norm.weight", t["emb_ln.weight"])
    w.add_tensor("token_embd_norm.bias", t["emb_ln.bias"])
    names = {"attn.Wqkv.weight": "attn_qkv.weight", "attn.out_proj.weight": "attn_output.weight", "mlp.fc11.weight": "ffn_up.weight",
             "mlp.fc12.weight": "ffn_gate.weight", "mlp.fc2.weight": "ffn_down.weight", "norm1.weight": "attn_output_norm.weight",
             "norm1.bias": "attn_output_norm.bias", "norm2.weight": "layer_output_norm.weight", "norm2.bias": "layer_output_norm.bias"}
    for i in range(cfg["n_layer"]):
        for hf, g in names.items():
            w.add_tensor(f"blk.{i}.{g}", t[f"encoder.layers.{i}.{hf}"])
    finish(w)


def encoder_writer(folder, arch, context, width, ffn, blocks, heads, eps):
    """A GGUF writer for an encoder with its hyperparameters, bidirectional attention, mean pooling and
    the folder's WordPiece vocabulary."""
    w = gguf.GGUFWriter(os.path.join(folder, "model.gguf"), arch)
    w.add_context_length(context)
    w.add_embedding_length(width)
    w.add_feed_forward_length(ffn)
    w.add_block_count(blocks)
    w.add_head_count(heads)
    w.add_layer_norm_eps(eps)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    wordpiece_vocabulary(w, folder)
    return w


def wordpiece_vocabulary(w, folder):
    """The WordPiece vocabulary in llama.cpp's phantom-space spelling (word-initial pieces "▁"-prefixed,
    "##" dropped from continuations) with the [CLS]/[SEP]/[UNK]/[PAD] ids."""
    vocab = json.load(open(os.path.join(folder, "tokenizer.json")))["model"]["vocab"]
    tokens = [""] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text if text.startswith("[") and text.endswith("]") else text[2:] if text.startswith("##") else "\u2581" + text
    w.add_tokenizer_model("bert")
    w.add_token_list(tokens)
    w.add_token_types([gguf.TokenType.CONTROL if x.startswith("[") and x.endswith("]") else gguf.TokenType.NORMAL for x in tokens])
    # llama.cpp's key names (sic: "seperator").
    for key, token in (("cls", "[CLS]"), ("seperator", "[SEP]"), ("unknown", "[UNK]"), ("padding", "[PAD]")):
        w.add_uint32(f"tokenizer.ggml.{key}_token_id", vocab[token])


def bert(folder):
    """BERT as llama.cpp's converter writes it: the WordPiece vocabulary in its phantom-space spelling
    (word-initial pieces "▁"-prefixed, "##" dropped from continuations), [CLS]/[SEP] ids, mean pooling."""
    cfg = json.load(open(os.path.join(folder, "config.json")))
    t = {k.removeprefix("bert."): v for k, v in tensors(folder).items()}
    w = encoder_writer(folder, "bert", *(cfg[k] for k in ("max_position_embeddings", "hidden_size", "intermediate_size",
                                                         "num_hidden_layers", "num_attention_heads", "layer_norm_eps")))
    w.add_tensor("token_embd.weight", t["embeddings.word_embeddings.weight"])
    w.add_tensor("position_embd.weight", t["embeddings.position_embeddings.weight"])
    w.add_tensor("token_types.weight", t["embeddings.token_type_embeddings.weight"])
    w.add_tensor("token_embd_norm.weight", t["embeddings.LayerNorm.weight"])
    w.add_tensor("token_embd_norm.bias", t["embeddings.LayerNorm.bias"])
    names = {"attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
             "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
             "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm"}
    for i in range(cfg["num_hidden_layers"]):
        for hf, g in names.items():
            for kind in ("weight", "bias"):
                w.add_tensor(f"blk.{i}.{g}.{kind}", t[f"encoder.layer.{i}.{hf}.{kind}"])
    finish(w)


def gemma3(folder):
    """Gemma 3 as llama.cpp's converter writes it from a Gemma3ForConditionalGeneration checkpoint: the
    text weights only (`language_model.` dropped, vision and projector tensors skipped), every norm
    weight stored as 1 + w (Gemma3RMSNorm's scale), linear RoPE scaling as rope.scaling.type/factor
    (applied to the global layers only), the SentencePiece-style vocabulary as a "llama" tokenizer."""
    cfg = json.load(open(os.path.join(folder, "config.json")))
    tc = cfg["text_config"]
    t = {k.removeprefix("language_model.model."): v for k, v in tensors(folder).items() if k.startswith("language_model.")}
    w = gguf.GGUFWriter(os.path.join(folder, "model.gguf"), "gemma3")
    w.add_context_length(tc["max_position_embeddings"])
    w.add_embedding_length(tc["hidden_size"])
    w.add_block_count(tc["num_hidden_layers"])
    w.add_feed_forward_length(tc["intermediate_size"])
    w.add_head_count(tc["num_attention_heads"])
    w.add_layer_norm_rms_eps(tc["rms_norm_eps"])
    w.add_key_length(tc["head_dim"])
    w.add_value_length(tc["head_dim"])
    w.add_rope_freq_base(tc["rope_theta"])
    w.add_sliding_window(tc["sliding_window"])
    w.add_head_count_kv(tc["num_key_value_heads"])
    w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    w.add_rope_scaling_factor(tc["rope_scaling"]["factor"])
    sentencepiece_vocabulary(w, folder, cfg)
    w.add_tensor("token_embd.weight", t["embed_tokens.weight"])
    names = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
             "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "post_attention_norm",
             "pre_feedforward_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down", "post_feedforward_layernorm": "post_ffw_norm"}
    shift = lambda hf, a: a + np.float32(1) if hf.endswith("norm") else a
    for i in range(tc["num_hidden_layers"]):
        for hf, g in names.items():
            w.add_tensor(f"blk.{i}.{g}.weight", shift(hf, t[f"layers.{i}.{hf}.weight"]))
    w.add_tensor("output_norm.weight", shift("norm", t["norm.weight"]))
    finish(w)


def sentencepiece_vocabulary(w, folder, cfg):
    """A tokenizer.json's BPE-with-byte-fallback vocabulary as a "llama" (SentencePiece) GGUF vocabulary,
    Gemma's way (no space prefix): byte tokens as BYTE, special added tokens as CONTROL, <unk> as UNKNOWN;
    scores falling with the id (the order the pieces were learned in, so merging the best-scored pair
    first follows the merges)."""
    tok = json.load(open(os.path.join(folder, "tokenizer.json")))
    vocab = dict(tok["model"]["vocab"])
    special = {a["content"] for a in tok.get("added_tokens", []) if a.get("special")}
    for added in tok.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    tokens = [""] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    def kind(text):
        if text == "<unk>":
            return gguf.TokenType.UNKNOWN
        if len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            return gguf.TokenType.BYTE
        return gguf.TokenType.CONTROL if text in special else gguf.TokenType.NORMAL
    types = [kind(x) for x in tokens]
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores([0.0 if types[i] != gguf.TokenType.NORMAL else -float(i) for i in range(len(tokens))])
    w.add_token_types(types)
    w.add_bos_token_id(vocab["<bos>"])
    w.add_eos_token_id(cfg["eos_token_id"][0])
    w.add_unk_token_id(vocab["<unk>"])
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)  # Gemma's: spaces become "▁" where they are, none is prepended


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    qwen2(os.path.join(FIX, "tiny-qwen2"))
    gpt2(os.path.join(FIX, "tiny-gpt2"))
    qwen2(os.path.join(FIX, "tiny-qwen3"), "qwen3", "qwen2")
    qwen2(os.path.join(FIX, "tiny-phi3"), "phi3", "gpt-4o")
    qwen2(os.path.join(FIX, "tiny-smollm3"), "smollm3", "llama-bpe")
    bert(os.path.join(FIX, "tiny-bert"))
    nomic_bert(os.path.join(FIX, "tiny-nomic-bert"))
    gemma3(os.path.join(FIX, "tiny-gemma3"))
