#!/usr/bin/env python3
"""Writes a GGUF model's token bytes for scripts/grammar-timing/run: one token per line as hex
(empty line: a control/unknown token, never allowed), the way Sources/Tokenizers maps them
(SentencePiece: "▁" -> space, <0xNN> -> that byte; GPT-2 byte-level: stand-in characters -> bytes).

    dump-vocab.py MODEL.gguf OUT.hex
"""
import sys

import gguf


def byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    reader = gguf.GGUFReader(sys.argv[1])
    fields = reader.fields
    model = bytes(fields["tokenizer.ggml.model"].parts[-1]).decode()
    tf = fields["tokenizer.ggml.tokens"]
    tokens = [bytes(tf.parts[i]).decode("utf-8", "replace") for i in tf.data]
    yf = fields.get("tokenizer.ggml.token_type")
    types = [int(yf.parts[i][0]) for i in yf.data] if yf else [1] * len(tokens)
    dec = byte_decoder()
    with open(sys.argv[2], "w") as out:
        for t, ty in zip(tokens, types):
            if ty in (2, 3):  # unknown, control
                out.write("\n")
                continue
            if model == "llama":
                if ty == 6 and t.startswith("<0x"):
                    b = bytes([int(t[3:5], 16)])
                else:
                    b = t.replace("\u2581", " ").encode()
            elif all(ch in dec for ch in t):
                b = bytes(dec[ch] for ch in t)
            else:
                b = t.encode()
            out.write(b.hex() + "\n")


main()
