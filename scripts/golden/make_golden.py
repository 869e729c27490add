#!/usr/bin/env python3
"""Generate the golden fixtures Tern's tests compare against (committed under Tests/Fixtures).

Reference implementations:
  * llama.cpp through llama-cpp-python 0.3.36 (tokenization, logits, greedy decoding);
  * the `gguf` package's numpy dequantization (tensor values).

How to run (from the repository root, outside CI: CI only reads the committed fixtures):
  pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/ref && unpack it;
  build its vendored llama.cpp with cmake (-DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON), then
  LLAMA_CPP_LIB_PATH=<build>/bin PYTHONPATH=<unpacked sdist> python3 scripts/golden/make_golden.py
  (or `pip install llama-cpp-python==0.3.36` and run it plainly). Needs `pip install gguf numpy diskcache`.
Models come from scripts/fetch-test-models (TERN_MODEL_CACHE, default ~/.cache/tern/models).
Optional argument: the parts to make (corpus tokens dequant teacher greedy); default all.
"""
import json
import math
import os
import random
import sys
import unicodedata

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Tests", "Fixtures")
CACHE = os.environ.get("TERN_MODEL_CACHE", os.path.expanduser("~/.cache/tern/models"))
MODELS = {"smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- corpus
PROSE = [
    "The quick brown fox jumps over the lazy dog.", "It was the best of times, it was the worst of times.",
    "She sells sea shells by the sea shore.", "Numbers like 3.14159 and 2,718 appear in math.",
    "A journey of a thousand miles begins with a single step.", "Don't count your chickens before they hatch!",
    "I'LL be there at 5 o'clock; we've got time.", "They're sure it's fine, aren't they?",
    "The committee approved the budget on Tuesday, 14 March 2023.", "Email me at someone@example.com or call +1 (555) 010-9999.",
    "In 1969, Apollo 11 landed on the Moon.", "Hello, World! How are you doing today?",
]
CODE = [
    "def add(a, b):\n    return a + b\n", "for (int i = 0; i < n; ++i) {\n\tsum += x[i];\n}",
    "const f = (x) => x * 2; // double", "let xs = [1, 2, 3].map { $0 * $0 }",
    "#!/usr/bin/env bash\nset -euo pipefail\necho \"$HOME\"", "if __name__ == '__main__':\n    main()",
    "SELECT name, COUNT(*) FROM users GROUP BY name;", "<div class=\"box\">\n  <p>Hi</p>\n</div>",
    "    indented = True\n        more_indented = False", "x = {'key': [1, 2.5, None], \"other\": (3,)}",
    "struct Point { var x: Double; var y: Double }", "fn main() { println!(\"{}\", 42); }",
]
SCRIPTS = [
    "你好，世界！今天天气很好。", "日本語のテキストです。カタカナとひらがな。", "안녕하세요, 세계!", "Привет, мир! Как дела?",
    "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Tiếng Việt có dấu",
    "Ça va très bien, merci — à bientôt!", "Größe, Straße, Ärger, Öl", "niño, año, señor", "ﬁ ligature and ｆｕｌｌｗｉｄｔｈ",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸🇯🇵", "❤️", "🤖 robots", "🎉🎉🎉", "✨ sparkle ✨", "🏳️‍🌈", "👩🏾‍💻"]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "<start_of_turn>", "<end_of_turn>",
            "<bos>", "<eos>", "<pad>", "<unk>", "<mask>"]
SPECIAL_TEXTS = ["hi<|im_end|>\n", "<|im_start|>user\nHello<|im_end|>", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
                 "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "<bos><start_of_turn>user", "text</s>more<s>",
                 "<|endoftext|><|endoftext|>", "a<|im_start|>b<|im_end|>c", "<|im_start", "im_end|>", "<<|im_start|>>"]
WS = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", " \n", "\n ", " \t \n", "\u00a0", "\u3000"]
PUNCT = ["...", "!?", "?!", "--", "—", "“quoted”", "‘single’", "(parens)", "[brackets]", "{braces}", "$100", "50%", "#tag", "@user",
         "a/b\\c", "~`^", "<>", "&&", "||", "==", "!=", ":=", "->", "=>", "''", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]


def make_corpus(n=2200, seed=1234):
    rng = random.Random(seed)
    out = ["", " ", "a", "1", ".", "\n", "  leading", "trailing  ", " both ", "x" * 200, "ab" * 150, "1234567890" * 5,
           "1,000,000", "3.14159", "007", "１２３", "٣٤٥", "Ⅻ", "½", "e\u0301", "n\u0303o", "A\u030a", "\u1e9b\u0323",
           unicodedata.normalize("NFD", "Café résumé naïve"), unicodedata.normalize("NFC", "Café résumé naïve")]
    out += PROSE + CODE + SCRIPTS + EMOJI + SPECIALS + SPECIAL_TEXTS + WS + PUNCT
    pools = [PROSE, CODE, SCRIPTS, EMOJI, SPECIALS + SPECIAL_TEXTS, WS, PUNCT]
    words = " ".join(PROSE).split()
    while len(out) < n:
        kind = rng.randrange(8)
        if kind == 0:  # random prose sentence
            s = " ".join(rng.choice(words) for _ in range(rng.randint(1, 25)))
        elif kind == 1:  # mix of pools joined by random whitespace
            s = "".join(rng.choice(rng.choice(pools)) + rng.choice(["", " ", "  ", "\n", "\t"]) for _ in range(rng.randint(2, 8)))
        elif kind == 2:  # whitespace runs around words
            s = rng.choice(WS) * rng.randint(1, 6) + rng.choice(words) + rng.choice(WS) * rng.randint(0, 6)
        elif kind == 3:  # digits
            s = "".join(rng.choice("0123456789., ") for _ in range(rng.randint(1, 30)))
        elif kind == 4:  # accents, precomposed or decomposed
            base = rng.choice(["élève", "über", "façade", "jalapeño", "smørrebrød", "Ångström", "crème brûlée", "São Paulo"])
            s = unicodedata.normalize(rng.choice(["NFC", "NFD"]), base + " " + rng.choice(words))
        elif kind == 5:  # code with indentation
            s = rng.choice(CODE).replace("    ", rng.choice(["  ", "    ", "\t"]))
        elif kind == 6:  # random unicode from several blocks
            blocks = [(0x20, 0x7e), (0xa0, 0x17f), (0x370, 0x3ff), (0x400, 0x4ff), (0x4e00, 0x4fff), (0x3040, 0x30ff),
                      (0xac00, 0xacff), (0x1f300, 0x1f5ff), (0x2000, 0x206f), (0x0600, 0x06ff)]
            lo, hi = rng.choice(blocks)
            s = "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 20)))
        else:  # special tokens embedded in text
            s = rng.choice(words) + rng.choice(SPECIALS) + rng.choice(["", " ", "\n"]) + rng.choice(words)
        s = "".join(c for c in s if not 0xD800 <= ord(c) <= 0xDFFF)
        out.append(s)
    return out


def llama(model, **kw):
    from llama_cpp import Llama
    return Llama(os.path.join(CACHE, MODELS[model]), verbose=False, **kw)


def make_tokens(corpus):
    for model in MODELS:
        llm = llama(model, vocab_only=True)
        for special, name in [(True, "tokens.json"), (False, "tokens_nospecial.json")]:
            ids, differs = [], {}
            for i, s in enumerate(corpus):
                t = llm.tokenize(s.encode("utf-8"), add_bos=False, special=special)
                ids.append(t)
                back = llm.detokenize(t, special=special).decode("utf-8", errors="replace")
                if back != s:
                    differs[str(i)] = back
            dump(os.path.join(FIX, model, name), {"model": MODELS[model], "parse_special": special, "add_special": False,
                                                  "ids": ids, "detok_differs": differs})
            print(model, name, "round-trip differs for", len(differs), "strings")


# ---------------------------------------------------------------- dequantization
def make_dequant():
    import gguf
    from gguf.quants import dequantize
    for model, fname in MODELS.items():
        r = gguf.GGUFReader(os.path.join(CACHE, fname))
        by_type = {}
        for t in r.tensors:
            by_type.setdefault(t.tensor_type.name, []).append(t)
        out = []
        for tname, ts in sorted(by_type.items()):
            two_d = [t for t in ts if len(t.shape) == 2] or ts
            picks = [two_d[0]] + ([two_d[-1]] if len(two_d) > 1 else [])
            for t in picks:
                full = dequantize(t.data, t.tensor_type).astype(np.float32)
                ne0 = int(t.shape[0])
                rows = full.reshape(-1, ne0)
                idx = sorted({0, rows.shape[0] // 2, rows.shape[0] - 1})
                out.append({"name": t.name, "type": tname, "shape": [int(x) for x in t.shape],
                            "rows": {str(i): [float(v) for v in rows[i]] for i in idx},
                            "sum": float(full.astype(np.float64).sum()), "sumsq": float((full.astype(np.float64) ** 2).sum())})
        dump(os.path.join(FIX, model, "dequant.json"), {"model": fname, "tensors": out})
        print(model, "dequant tensors:", [(o["name"], o["type"]) for o in out])


# ---------------------------------------------------------------- teacher forcing and perplexity
def log_softmax(row):
    m = row.max()
    return row - m - math.log(np.exp(row - m).sum())


def make_teacher():
    text = open(os.path.join(FIX, "eval-text.txt"), encoding="utf-8").read()
    n_ctx = 512
    for model in MODELS:
        llm = llama(model, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, logits_all=True, n_threads=2)
        add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else model == "gemma3"
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
        chunks, nll, count = [], 0.0, 0
        for c in range(len(tokens) // n_ctx):
            chunk = list(tokens[c * n_ctx:(c + 1) * n_ctx])
            if add_bos:
                chunk[0] = llm.token_bos()
            llm.reset()
            llm.eval(chunk)
            logits = np.array(llm.scores[:n_ctx], dtype=np.float64)
            argmax = [int(i) for i in logits.argmax(axis=1)]
            logprobs = [float(log_softmax(logits[i])[chunk[i + 1]]) for i in range(n_ctx - 1)]
            for i in range(n_ctx // 2, n_ctx - 1):
                nll -= logprobs[i]
                count += 1
            chunks.append({"tokens": chunk, "argmax": argmax, "logprobs": logprobs})
        ppl = math.exp(nll / count)
        dump(os.path.join(FIX, model, "teacher.json"), {"model": MODELS[model], "n_ctx": n_ctx, "add_bos": bool(add_bos),
                                                        "ppl": ppl, "chunks": chunks})
        print(model, "teacher chunks", len(chunks), "ppl", ppl)


# ---------------------------------------------------------------- greedy continuations
PROMPTS = [
    "The capital of France is", "Once upon a time, in a small village by the sea,", "def fibonacci(n):",
    "List three colors:\n1.", "Q: What is 12 times 12?\nA:", "The best way to learn a new language is",
    "In the year 2050, cities will", "Dear Sir or Madam,\n\nI am writing to", "The recipe calls for two cups of flour,",
    "import numpy as np\n\nx = np.", "Water boils at", "The theory of relativity states that",
    "My favorite book is", "Here is a haiku about autumn:\n", "La capitale de l'Allemagne est",
    "How do I reverse a list in Python?", "The three primary colors are", "<|im_start|>user\nWhat is the tallest mountain?<|im_end|>\n<|im_start|>assistant\n",
    "<start_of_turn>user\nName a fruit.<end_of_turn>\n<start_of_turn>model\n", "Step 1: Preheat the oven to",
]


def make_greedy(n_gen=32):
    for model in MODELS:
        llm = llama(model, n_ctx=512, n_batch=512, n_threads=2, logits_all=True)
        add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else model == "gemma3"
        eog = {llm.token_eos()}
        out = []
        for p in PROMPTS:
            ids = llm.tokenize(p.encode("utf-8"), add_bos=add_bos, special=True)
            llm.reset()
            llm.eval(ids)
            gen = []
            for _ in range(n_gen):
                tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                gen.append(tok)
                if tok in eog:
                    break
                llm.eval([tok])
            out.append({"prompt": p, "prompt_ids": list(ids), "generated": gen,
                        "text": llm.detokenize(gen).decode("utf-8", errors="replace")})
        dump(os.path.join(FIX, model, "greedy.json"), {"model": MODELS[model], "n_gen": n_gen, "cases": out})
        print(model, "greedy cases", len(out))


if __name__ == "__main__":
    parts = sys.argv[1:] or ["corpus", "tokens", "dequant", "teacher", "greedy"]
    corpus_path = os.path.join(FIX, "tokenizer-corpus.json")
    if "corpus" in parts:
        dump(corpus_path, make_corpus())
    corpus = json.load(open(corpus_path, encoding="utf-8"))
    print("corpus strings:", len(corpus))
    if "tokens" in parts:
        make_tokens(corpus)
    if "dequant" in parts:
        make_dequant()
    if "teacher" in parts:
        make_teacher()
    if "greedy" in parts:
        make_greedy()
