#!/usr/bin/env python3
"""How well llama.cpp agrees with itself when only the batch shape changes: the committed
teacher-forced and greedy fixtures (made by make_golden.py with 512-token batches) against
the same llama.cpp run on smaller micro-batches. The two runs differ only in float
summation order (batched matrix kernels versus per-row dot products, batched attention
versus one query at a time), which is all that separates Tern's arithmetic from llama.cpp's
once both round activations to int8 the same way. Prints one line per model and shape.

Run from the repository root, outside CI, with the llama_cpp package (PyPI llama-cpp-python
0.3.36) importable:
  ~/.cache/tern/venv-fixtures/bin/python scripts/golden/llama_self_agreement.py [UBATCH ...]
"""
import json
import math
import os
import sys

import numpy as np

from make_golden import CACHE, FIX, MODELS, log_softmax


def teacher(model, ubatch):
    """Argmax rows and perplexity of llama.cpp on the fixture's chunks with this micro-batch."""
    from llama_cpp import Llama
    golden = json.load(open(os.path.join(FIX, model, "teacher.json")))
    n_ctx = golden["n_ctx"]
    llm = Llama(os.path.join(CACHE, MODELS[model]), verbose=False, n_ctx=n_ctx, n_batch=ubatch, n_ubatch=ubatch,
                logits_all=True, n_threads=2)
    argmax, nll, count = [], 0.0, 0
    for chunk in golden["chunks"]:
        tokens = chunk["tokens"]
        llm.reset()
        llm.eval(tokens)
        logits = np.array(llm.scores[:n_ctx], dtype=np.float64)
        argmax += [int(i) for i in logits.argmax(axis=1)]
        for i in range(n_ctx // 2, n_ctx - 1):
            nll -= float(log_softmax(logits[i])[tokens[i + 1]])
            count += 1
    return argmax, math.exp(nll / count)


def greedy(model, ubatch):
    """Greedy continuations of the fixture's prompts (prompt in micro-batches, then token by token)."""
    from llama_cpp import Llama
    golden = json.load(open(os.path.join(FIX, model, "greedy.json")))
    llm = Llama(os.path.join(CACHE, MODELS[model]), verbose=False, n_ctx=512, n_batch=ubatch, n_ubatch=ubatch, n_threads=2,
                logits_all=True)
    out = []
    for case in golden["cases"]:
        llm.reset()
        llm.eval(case["prompt_ids"])
        got = []
        while len(got) < len(case["generated"]):
            got.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
            llm.eval([got[-1]])
        out.append(got)
    return out


def compare(a, b):
    return sum(x == y for x, y in zip(a, b)) / len(a)


if __name__ == "__main__":
    shapes = [int(a) for a in sys.argv[1:]] or [1, 32]
    for model in MODELS:
        teacher_fix = json.load(open(os.path.join(FIX, model, "teacher.json")))
        greedy_fix = [c["generated"] for c in json.load(open(os.path.join(FIX, model, "greedy.json")))["cases"]]
        fix_argmax = sum((c["argmax"] for c in teacher_fix["chunks"]), [])
        here_argmax, here_ppl = teacher(model, 512)
        here_greedy = greedy(model, 512)
        print(f"{model}: this machine, micro-batch 512 (the fixture's settings) vs the fixture: argmax agreement "
              f"{compare(here_argmax, fix_argmax):.4f}, perplexity {here_ppl:.4f} vs {teacher_fix['ppl']:.4f}, greedy identical "
              f"{sum(x == y for x, y in zip(here_greedy, greedy_fix))}/{len(greedy_fix)}", flush=True)
        for ub in shapes:
            argmax, ppl = teacher(model, ub)
            gen = greedy(model, ub)
            print(f"{model}: this machine, micro-batch {ub} vs micro-batch 512: argmax agreement {compare(argmax, here_argmax):.4f}, "
                  f"perplexity {ppl:.4f} vs {here_ppl:.4f}, greedy identical {sum(x == y for x, y in zip(gen, here_greedy))}/{len(gen)}; "
                  f"vs the fixture: argmax {compare(argmax, fix_argmax):.4f}, greedy {sum(x == y for x, y in zip(gen, greedy_fix))}/{len(gen)}",
                  flush=True)
