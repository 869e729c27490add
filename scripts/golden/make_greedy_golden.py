#!/usr/bin/env python3
"""Tests/Fixtures/greedy-golden.json: greedy continuations of the two real test models.

Issue 12's first bar: greedy outputs are byte-identical before and after a rewrite. This
records them from the current release build:
  1. for each model, every prompt's token ids (from `tern serve`'s /tokenize, special tokens
     added and control-token spellings parsed, as /v1/completions does) and the text `tern run
     --temperature 0 --max-tokens 48` prints for it (stopping at an end-of-generation token);
  2. the engine's 48 greedy token ids per prompt (EOS ignored), written by
     Tests/EngineTests/GreedyGoldenTests with TERN_WRITE_GOLDEN=1 (which also checks that the
     prompts batched give the same ids as each alone): `tokenIDs` from the AVX-512 VNNI kernels,
     `avx2TokenIDs` from the AVX2 ones (TERN_NO_AVX512=1), which sum in another order and part
     from them at near-ties. Run it on an AVX-512 VNNI host: an AVX2 host writes only the second;
  3. a check that the engine's ids decode (/detokenize) to text that begins with `tern run`'s.
The GEMV matmul path is used throughout (its arithmetic does not depend on the batch, and
`--matmul-path auto` times its GEMM crossover at load, which could change results).

Run from the repository, with no other swift build running:
  swift build -c release --build-tests && python3 scripts/golden/make_greedy_golden.py
Models come from $TERN_MODEL_CACHE (default ~/.cache/tern/models; scripts/fetch-test-models).
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TERN = os.path.join(ROOT, ".build", "release", "tern")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "greedy-golden.json")
CACHE = os.environ.get("TERN_MODEL_CACHE", os.path.expanduser("~/.cache/tern/models"))
MAX_TOKENS = 48

LONG = ("The lighthouse stood at the end of a narrow spit of land, and every night for forty years the keeper "
        "climbed its hundred and twelve steps to light the lamp. Ships passed in the dark, their crews never "
        "knowing his name. One winter a storm tore the shutters from the windows and")
PLAIN = [
    "Once upon a time",
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "1, 2, 3, 5, 8, 13,",
    LONG,
]
QUESTIONS = [
    "What is the boiling point of water at sea level?",
    "Write a haiku about autumn leaves.",
    "Summarize this story in one sentence: " + LONG,
]
CHAT = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                                       "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
    "gemma-3-270m-q4_k_m.gguf": "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`tern serve` on a free port for one model."""
    def __init__(self, model):
        self.port = free_port()
        self.proc = subprocess.Popen([TERN, "serve", "--model", model, "--port", str(self.port), "--matmul-path", "gemv"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("tern serve did not start")

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
        return json.load(urllib.request.urlopen(req, timeout=60))

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def run_text(model, prompt):
    out = subprocess.run([TERN, "run", "--model", model, "--prompt", prompt, "--max-tokens", str(MAX_TOKENS),
                          "--temperature", "0", "--matmul-path", "gemv"], capture_output=True, check=True)
    return out.stdout.decode()[:-1]   # `tern run` ends its output with a newline


def prompts_and_run_texts():
    models = []
    for name, chat in CHAT.items():
        path = os.path.join(CACHE, name)
        server = Server(path)
        try:
            seqs = [{"prompt": p, "promptTokenIDs": server.post("/tokenize", {"prompt": p})["tokens"],
                     "runText": run_text(path, p)}
                    for p in PLAIN + [chat.format(q) for q in QUESTIONS]]
        finally:
            server.close()
        models.append({"file": name, "sequences": seqs})
    return models


def check(models):
    for m in models:
        server = Server(os.path.join(CACHE, m["file"]))
        try:
            for s in m["sequences"]:
                ids = s.get("tokenIDs") or s["avx2TokenIDs"]  # the path `tern run` took on this host
                text = server.post("/detokenize", {"tokens": ids})["prompt"]
                if len(ids) != MAX_TOKENS or not text.startswith(s["runText"]):
                    sys.exit(f"{m['file']}: the engine's ids for {s['prompt'][:40]!r} decode to {text!r}, "
                             f"not a continuation of tern run's {s['runText']!r}")
        finally:
            server.close()


def main():
    about = ("Greedy continuations (EOS ignored, GEMV path) of the real test models, from the engine before issue 12's "
             "rewrite; written by scripts/golden/make_greedy_golden.py, compared by Tests/EngineTests/GreedyGoldenTests")
    with open(OUT, "w") as f:
        json.dump({"about": about, "maxTokens": MAX_TOKENS, "models": prompts_and_run_texts()}, f)
    for no_avx512 in ("0", "1"):
        env = dict(os.environ, TERN_WRITE_GOLDEN="1", TERN_MODEL_CACHE=CACHE, TERN_NO_AVX512=no_avx512)
        subprocess.run(["swift", "test", "-c", "release", "--skip-build", "--disable-swift-testing",
                        "--filter", "GreedyGoldenTests/testRealModelsMatchTheGolden"], cwd=ROOT, env=env, check=True)
    with open(OUT) as f:
        check(json.load(f)["models"])
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
