#!/usr/bin/env python3
"""Renders every template in Tests/Fixtures/chat-templates with Python's jinja2 the way
Hugging Face's apply_chat_template does (sandboxed, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, tojson with ensure_ascii=False), for a set of message
lists with add_generation_prompt on and off — plain chats, system prompts, `tools=[...]`,
assistant tool calls and tool results — and writes golden.json. Errors the template
raises on purpose are recorded as {"error": message}.
Run: ~/.cache/tern/venv-sdk/bin/python scripts/golden/make_chat_golden.py (jinja2 from PyPI)."""
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

# Tool definitions as Hugging Face passes them (`tools=[...]`, OpenAI's function format), and
# conversations that use them: a system prompt with tools, an assistant tool call with its
# result (Mistral wants 9-character ids), and Phi-4-mini's tools-in-the-system-message form.
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"]}}}
SEARCH = {"type": "function", "function": {
    "name": "search", "description": "Search the web.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}
CALL = {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
tool_conversations = {
    "system_tools": ([{"role": "system", "content": "You are a weather bot."},
                      {"role": "user", "content": "Weather in Paris?"}], [WEATHER, SEARCH]),
    "tools_no_system": ([{"role": "user", "content": "Find the tallest tower."}], [SEARCH]),
    "tool_call_result": ([{"role": "system", "content": "Use tools when needed."},
                          {"role": "user", "content": "Weather in Paris?"},
                          {"role": "assistant", "content": "", "tool_calls": [CALL]},
                          {"role": "tool", "tool_call_id": "call12345", "name": "get_weather",
                           "content": "{\"temperature\": \"18 C\", \"sky\": \"clear\"}"},
                          {"role": "assistant", "content": "It is 18 C and clear in Paris."},
                          {"role": "user", "content": "Thanks!"}], [WEATHER]),
    "tool_call_pending": ([{"role": "user", "content": "Weather in Paris?"},
                           {"role": "assistant", "content": "", "tool_calls": [CALL]},
                           {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "18 C"}], [WEATHER]),
    "system_message_tools": ([{"role": "system", "content": "You can call tools.",
                               "tools": json.dumps([WEATHER["function"]], ensure_ascii=False)},
                              {"role": "user", "content": "Weather in Paris?"}], None),
}


def ordered(x):
    """Objects with "role" and "content" first, the other keys sorted: the order the Swift test
    rebuilds from the JSON (Foundation's dictionaries keep none), so both render the same."""
    if isinstance(x, dict):
        rank = {"role": 0, "content": 1}
        return {k: ordered(x[k]) for k in sorted(x, key=lambda k: (rank.get(k, 9), k))}
    if isinstance(x, list):
        return [ordered(v) for v in x]
    return x


def main():
    cases, shared = [], {}
    for path in sorted(root.glob("*.jinja")):
        template = env.from_string(path.read_text())
        bos, eos = ("<bos>", "<eos>") if "gemma" in path.stem else ("<s>", "</s>")
        runs = [(name, messages, None) for name, messages in conversations.items()]
        runs += [(name, ordered(messages), ordered(tools)) for name, (messages, tools) in tool_conversations.items()]
        for name, messages, tools in runs:
            for agp in (True, False):
                case = {"template": path.name, "conversation": name,
                        "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos}
                shared[name] = {"messages": messages, **({"tools": tools} if tools is not None else {})}
                # tools passed as Hugging Face does; left undefined without tools
                extra = {} if tools is None else {"tools": tools}
                try:
                    case["output"] = template.render(messages=messages, add_generation_prompt=agp,
                                                     bos_token=bos, eos_token=eos, **extra)
                except Raised as e:
                    case["error"] = str(e)
                cases.append(case)
    out = root / "golden.json"
    # Each conversation once; each case names its conversation.
    out.write_text(json.dumps({"conversations": shared, "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} renders to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
