#!/usr/bin/env python3
"""Renders every template in Tests/Fixtures/chat-templates with Python's jinja2 the way
Hugging Face's apply_chat_template does (sandboxed, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, tojson with ensure_ascii=False), for a set of message
lists with add_generation_prompt on and off, and writes golden.json. Errors the template
raises on purpose are recorded as {"error": message}."""
import json
import pathlib
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

root = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "chat-templates"


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
# Hugging Face's strftime_now formats the current time; a fixed date keeps the renders stable
# (the Swift test passes the same function).
import datetime
env.globals["strftime_now"] = lambda fmt: datetime.datetime(2026, 1, 15).strftime(fmt)

conversations = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system_user": [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "What is 2+2?"}],
    "multi_turn": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
                   {"role": "user", "content": "Tell me a joke."}],
    "system_multi_turn": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Capital of France?"},
                          {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And of Italy?"}],
    "ends_with_assistant": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}],
    "awkward_text": [{"role": "user", "content": "  spaced out \n\n with \"quotes\", 'apostrophes', {{ braces }} and ünïcödé 😀\t"}],
    "not_alternating": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
    "empty_content": [{"role": "user", "content": ""}],
}


def main():
    cases = []
    for path in sorted(root.glob("*.jinja")):
        template = env.from_string(path.read_text())
        bos, eos = ("<bos>", "<eos>") if "gemma" in path.stem else ("<s>", "</s>")
        for name, messages in conversations.items():
            for agp in (True, False):
                case = {"template": path.name, "conversation": name, "messages": messages,
                        "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos}
                try:
                    case["output"] = template.render(messages=messages, add_generation_prompt=agp,
                                                     bos_token=bos, eos_token=eos)
                except Raised as e:
                    case["error"] = str(e)
                cases.append(case)
    out = root / "golden.json"
    out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} renders to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
