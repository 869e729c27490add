#!/usr/bin/env python3
"""Tests/Fixtures/rope-scaling.json: the RoPE inverse frequencies Hugging Face computes for
config.json `rope_scaling` types Tern reads, written the way transformers' modeling_rope_utils
does it (llama3: a where() over wavelengths on the inverse frequencies; longrope: short/long
factor divisors and the attention factor), for configs shaped like Llama 3.2 1B and
Phi-4-mini. The Swift test reads each config through ModelRegistry and compares.

  ~/.cache/tern/venv-sdk/bin/python scripts/golden/make_rope_golden.py   (NumPy only)
"""
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def llama3(cfg):
    s, dim = cfg["rope_scaling"], cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    inv_freq = 1.0 / cfg["rope_theta"] ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, scaled), 1.0


def longrope(cfg):
    s = cfg["rope_scaling"]
    head = cfg["hidden_size"] // cfg["num_attention_heads"]
    dim = int(head * cfg.get("partial_rotary_factor", 1.0))
    orig = cfg["original_max_position_embeddings"]
    factor = cfg["max_position_embeddings"] / orig
    attention = math.sqrt(1 + math.log(factor) / math.log(orig)) if factor > 1 else 1.0
    # Tern's choice (see RopeScaling): the long factors when the context exceeds the original one.
    ext = np.array(s["long_factor"] if cfg["max_position_embeddings"] > orig else s["short_factor"], dtype=np.float64)
    return 1.0 / (ext * cfg["rope_theta"] ** (np.arange(0, dim, 2, dtype=np.float64) / dim)), attention


def main():
    llama = {"architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 8192, "num_attention_heads": 32,
             "num_key_value_heads": 8, "num_hidden_layers": 16, "head_dim": 64, "max_position_embeddings": 131072,
             "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "vocab_size": 128256, "tie_word_embeddings": True,
             "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
    rot = 48  # Phi-4-mini: 128 × 0.75 rotary dims, 48 frequencies
    phi = {"architectures": ["Phi3ForCausalLM"], "hidden_size": 3072, "intermediate_size": 8192, "num_attention_heads": 24,
           "num_key_value_heads": 8, "num_hidden_layers": 32, "max_position_embeddings": 131072,
           "original_max_position_embeddings": 4096, "partial_rotary_factor": 0.75, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "vocab_size": 200064, "tie_word_embeddings": True,
           "rope_scaling": {"type": "longrope", "long_factor": [round(1 + 0.9 * i, 3) for i in range(rot)],
                            "short_factor": [round(1 + 0.01 * i, 3) for i in range(rot)]}}
    cases = []
    for name, cfg, f in [("llama-3.2-1b", llama, llama3), ("phi-4-mini", phi, longrope)]:
        inv_freq, attention = f(cfg)
        cases.append({"name": name, "config": cfg, "inv_freq": [float(v) for v in inv_freq], "attention_factor": attention})
    path = os.path.join(ROOT, "Tests", "Fixtures", "rope-scaling.json")
    with open(path, "w") as out:
        json.dump({"math": "transformers modeling_rope_utils formulas, float64 NumPy", "cases": cases}, out, indent=1)
        out.write("\n")
    print(path)


if __name__ == "__main__":
    main()
