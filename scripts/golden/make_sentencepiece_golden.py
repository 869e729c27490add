#!/usr/bin/env python3
"""SentencePiece-style tokenizer.json goldens (committed as Tests/Fixtures/hf-sentencepiece-variants.json
and Tests/Fixtures/tiny-llama2-spm/).

Mistral 7B, Llama 2, TinyLlama, Gemma and SmolLM-style SentencePiece checkpoints ship a tokenizer.json
whose model is a BPE with `byte_fallback` (missing characters become <0xNN> tokens) and whose spaces
become "▁": older files with the normalizer Sequence[Prepend("▁"), Replace(" ", "▁")], newer ones with
a Metaspace pre-tokenizer, Gemma's with Replace alone; decoders Sequence[Replace, ByteFallback, Fuse,
Strip] or Metaspace. One small BPE is trained here on the committed corpora (ids laid out like Llama 2:
<unk> <s> </s>, the 256 byte tokens, then the pieces); every variant shares it and swaps the parts
around it. For each variant the fixture keeps only those parts (the test rebuilds the file) and the
`tokenizers` package's ids for every probe string: "ids" with special tokens parsed, "nospecial" the
ids that differ with `encode_special_tokens`, "detok_differs" the decoded text (skip_special_tokens
False) where it is not the input, "detok_skip" the decoded text with skip_special_tokens where it is
not the input.

tiny-llama2-spm/ holds the "llama2" variant as a checkpoint's tokenizer.json and tokenizer_config.json
(no weights: the test borrows tiny-llama's, whose vocabulary is larger); its golden is the variant's.

How to run (PyPI is the only network needed; the helpers come from make_tiny_checkpoints.py):
  python3 -m venv ~/.cache/tern/venv-fixtures && ~/.cache/tern/venv-fixtures/bin/pip install numpy tokenizers==0.23.3
  ~/.cache/tern/venv-fixtures/bin/python scripts/golden/make_sentencepiece_golden.py
Deterministic for a given `tokenizers` version (recorded in the fixture).
"""
import json
import os

import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from make_tiny_checkpoints import FIX, dump, golden_ids, read
SP = "\u2581"

PROBES = [
    "", " ", "  ", "a", "hello world", " hello world", "hello world ", "  two  spaces  between  ", "a   b    c",
    "\n", "line one\nline two\n\n", "\ttab\tand\r\nreturn", "The quick brown fox jumps over the lazy dog.",
    "<s>", "</s>", "<s>hello</s>", "hello<s>world</s>", " <s> spaced </s> ", "<s><s>", "<unk>", "text</s>more<s>",
    "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "<bos>Hello", "<0x41> is not A", "<0xZZ>",
    "😀", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "🤖 robots 🎉🎉", "你好，世界！", "日本語のテキスト", "Привет, мир!", "résumé café",
    "e\u0301", "ñandú ÅÆ", "ﬁ ｆｕｌｌ １２３ ½ Ⅻ", "\u00a0nbsp\u3000ideographic", SP + "already" + SP + "spaced", SP, SP + " " + SP,
    "Numbers 3.14159 and 2,718", "def add(a, b):\n    return a + b\n", "x" * 40, "ab" * 30, "don't won't it's",
]


def trained_model(texts):
    """A BPE over "▁"-prefixed pieces, with a small alphabet (so CJK, emoji and rarer letters fall
    back to bytes), re-laid as Llama 2's vocabulary: <unk> <s> </s>, <0x00>..<0xFF>, pieces."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SP, prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=200, min_frequency=2, show_progress=False, limit_alphabet=70)
    tok.train_from_iterator(texts, trainer)
    m = json.loads(tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(m["vocab"].items(), key=lambda kv: kv[1]):
        vocab.setdefault(piece, len(vocab))
    m["vocab"] = vocab
    return m


def added(contents):
    return [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, c in contents]


def component(obj):
    """A component's JSON as the package writes it."""
    return json.loads(obj.__getstate__()) if hasattr(obj, "__getstate__") else obj


def main():
    corpus = json.loads(read("tokenizer-corpus.json"))
    texts = read("eval-text.txt").split("\n") + corpus
    model = trained_model(texts)
    strings = PROBES + corpus[9:50]
    llama_added = added([(0, "<unk>"), (1, "<s>"), (2, "</s>")])
    bos_template = {"type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                             {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    spm_decoder = decoders.Sequence([decoders.Replace(SP, " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    n = len(model["vocab"])
    gemma_added = added([(0, "<unk>"), (1, "<s>"), (2, "</s>"), (n, "<start_of_turn>"), (n + 1, "<end_of_turn>"), (n + 2, "<bos>")])
    gemma_template = json.loads(json.dumps(bos_template).replace('"<s>"', '"<bos>"').replace("[1]", f"[{n + 2}]"))
    variants = [
        ("llama2", "Llama 2 / Mistral v0.1 / TinyLlama: Prepend+Replace normalizer, no pre-tokenizer, BOS template, "
                   "Replace/ByteFallback/Fuse/Strip decoder", {
            "added_tokens": llama_added,
            "normalizer": component(normalizers.Sequence([normalizers.Prepend(SP), normalizers.Replace(" ", SP)])),
            "pre_tokenizer": None, "post_processor": bos_template, "decoder": component(spm_decoder)}, True),
        ("metaspace-first", "newer Llama 2 / Mistral conversions: Metaspace pre-tokenizer (prepend_scheme first, split false)", {
            "added_tokens": llama_added, "normalizer": None,
            "pre_tokenizer": component(pre_tokenizers.Metaspace(replacement=SP, prepend_scheme="first", split=False)),
            "post_processor": bos_template, "decoder": component(spm_decoder)}, True),
        ("metaspace-always-split", "SentencePieceBPETokenizer-style: Metaspace always + split both ways, no BOS", {
            "added_tokens": llama_added, "normalizer": None,
            "pre_tokenizer": component(pre_tokenizers.Metaspace(replacement=SP, prepend_scheme="always", split=True)),
            "post_processor": None,
            "decoder": component(decoders.Metaspace(replacement=SP, prepend_scheme="always", split=True))}, False),
        ("metaspace-never", "Metaspace never: no prefix, the decoder keeps every space", {
            "added_tokens": llama_added, "normalizer": None,
            "pre_tokenizer": component(pre_tokenizers.Metaspace(replacement=SP, prepend_scheme="never", split=False)),
            "post_processor": None,
            "decoder": component(decoders.Metaspace(replacement=SP, prepend_scheme="never", split=False))}, False),
        ("metaspace-legacy", "pre-0.19 Metaspace with add_prefix_space (read as always) in a Sequence, unfused-unk model", {
            "added_tokens": llama_added, "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Metaspace", "replacement": SP, "add_prefix_space": True}]},
            "post_processor": bos_template, "decoder": component(spm_decoder), "fuse_unk": False}, True),
        ("gemma", "Gemma: Replace normalizer alone (no prefix), chat added tokens, <bos> template, decoder without Strip", {
            "added_tokens": gemma_added, "normalizer": component(normalizers.Replace(" ", SP)), "pre_tokenizer": None,
            "post_processor": gemma_template,
            "decoder": component(decoders.Sequence([decoders.Replace(SP, " "), decoders.ByteFallback(), decoders.Fuse()]))}, True),
    ]
    out = []
    for name, note, parts, add_special in variants:
        j = {"version": "1.0", "truncation": None, "padding": None, **{k: v for k, v in parts.items() if k != "fuse_unk"},
             "model": dict(model, fuse_unk=parts.get("fuse_unk", True))}
        tok = Tokenizer.from_str(json.dumps(j))
        out.append({"name": name, "note": note, "parts": parts, "add_special": add_special, **golden_ids(tok, strings, add_special, skip=True)})
        if name == "llama2":
            folder = os.path.join(FIX, "tiny-llama2-spm")
            dump(os.path.join(folder, "tokenizer.json"), json.loads(tok.to_str()), indent=1)
            dump(os.path.join(folder, "tokenizer_config.json"), {
                "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                "legacy": True, "model_max_length": 96, "tokenizer_class": "LlamaTokenizer"}, indent=2)
    path = os.path.join(FIX, "hf-sentencepiece-variants.json")
    dump(path, {"tokenizers": tokenizers.__version__, "model": model, "strings": strings, "variants": out})
    print(path, os.path.getsize(path), "bytes;", len(model["vocab"]), "tokens,", len(model["merges"]), "merges")


if __name__ == "__main__":
    main()
