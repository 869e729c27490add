"""Speculative decoding through the real `openai` SDK: SmolLM2 speculating by prompt lookup
(TERN_SPECULATIVE_URL) answers exactly as SmolLM2 without it (TERN_BASE_URL) — greedy and
seeded, streamed (several tokens per step reach the client as deltas that assemble to the same
text), with stop strings that land inside a verified run of guesses, max_tokens, logprobs,
n = 2, a JSON schema, 16 requests at once — guesses are counted on /metrics under vLLM's
names, and a request can opt out."""
import concurrent.futures
import json
import os
import pathlib
import re
import unittest
import urllib.request

import openai

PLAIN = openai.OpenAI(base_url=os.environ["TERN_BASE_URL"], api_key="unused", max_retries=0)
SPEC_URL = os.environ["TERN_SPECULATIVE_URL"]
SPEC = openai.OpenAI(base_url=SPEC_URL, api_key="unused", max_retries=0)
MODEL = PLAIN.models.list().data[0].id
PROMPTS = [p["messages"] for p in json.loads((pathlib.Path(os.environ["TERN_FIXTURES"]) / "speculative/prompts.json").read_text())]


def metrics():
    text = urllib.request.urlopen(SPEC_URL.removesuffix("/v1") + "/metrics").read().decode()
    values = {}
    for name in ["drafts", "draft_tokens", "accepted_tokens"]:
        m = re.search(rf"^vllm:spec_decode_num_{name}_total{{[^}}]*}} (\S+)$", text, re.M)
        values[name] = float(m.group(1)) if m else None
    values["per_pos"] = [float(v) for v in re.findall(r'^vllm:spec_decode_num_accepted_tokens_per_pos_total{[^}]*position="\d+"} (\S+)$', text, re.M)]
    return values


def chat(client, messages, **fields):
    args = dict(model=MODEL, messages=messages, max_tokens=80, temperature=0)
    args.update(fields)
    return client.chat.completions.create(**args)


class Identical(unittest.TestCase):
    def test_greedy_and_seeded_answers_match_and_guesses_are_counted(self):
        before = metrics()
        for i, messages in enumerate(PROMPTS[::2]):
            fields = {} if i % 3 else dict(temperature=0.9, seed=i, top_p=0.95)
            a, b = chat(PLAIN, messages, **fields), chat(SPEC, messages, **fields)
            self.assertEqual(b.choices[0].message.content, a.choices[0].message.content, f"prompt {i}")
            self.assertEqual(b.choices[0].finish_reason, a.choices[0].finish_reason)
            self.assertEqual(b.usage.completion_tokens, a.usage.completion_tokens)
        after = metrics()
        self.assertGreater(after["accepted_tokens"] - before["accepted_tokens"], 100)
        self.assertGreater(after["draft_tokens"], after["accepted_tokens"])
        self.assertEqual(len(after["per_pos"]), 4)
        self.assertEqual(sum(after["per_pos"]), after["accepted_tokens"])
        self.assertTrue(all(x >= y for x, y in zip(after["per_pos"], after["per_pos"][1:])), "acceptance falls with the position")

    def test_streamed_deltas_assemble_to_the_same_text(self):
        for messages in PROMPTS[:6]:
            want = chat(PLAIN, messages).choices[0].message.content
            stream = chat(SPEC, messages, stream=True)
            deltas = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
            self.assertEqual("".join(deltas), want)

    def test_stops_inside_a_run_of_guesses_and_max_tokens(self):
        messages = PROMPTS[0]  # renaming code: long runs of accepted guesses
        full = chat(PLAIN, messages, max_tokens=200).choices[0].message.content
        for cut in [40, 77, 123]:
            stop = full[cut:cut + 6]
            want = chat(PLAIN, messages, max_tokens=200, stop=[stop]).choices[0].message.content
            for stream in [False, True]:
                if stream:
                    got = "".join(c.choices[0].delta.content or "" for c in chat(SPEC, messages, max_tokens=200, stop=[stop], stream=True)
                                  if c.choices)
                else:
                    got = chat(SPEC, messages, max_tokens=200, stop=[stop]).choices[0].message.content
                self.assertEqual(got, want, f"stop {stop!r}")
                self.assertNotIn(stop, got)
        for n in [1, 7, 33]:
            a, b = chat(PLAIN, messages, max_tokens=n), chat(SPEC, messages, max_tokens=n)
            self.assertEqual(b.usage.completion_tokens, n)
            self.assertEqual(b.choices[0].message.content, a.choices[0].message.content)
            self.assertEqual(b.choices[0].finish_reason, "length")

    def test_logprobs_n2_and_json_schema(self):
        messages = PROMPTS[12]  # fill a JSON record
        a = chat(PLAIN, messages, logprobs=True, top_logprobs=2)
        b = chat(SPEC, messages, logprobs=True, top_logprobs=2)
        self.assertEqual([(t.token, t.logprob) for t in b.choices[0].logprobs.content],
                         [(t.token, t.logprob) for t in a.choices[0].logprobs.content])
        a = chat(PLAIN, messages, n=2, temperature=0.8, seed=5)
        b = chat(SPEC, messages, n=2, temperature=0.8, seed=5)
        self.assertEqual([c.message.content for c in b.choices], [c.message.content for c in a.choices])
        schema = {"type": "object", "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "projects": {"type": "integer"}},
                  "required": ["name", "city", "projects"], "additionalProperties": False}
        fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
        a = chat(PLAIN, messages, response_format=fmt, max_tokens=200)
        b = chat(SPEC, messages, response_format=fmt, max_tokens=200)
        self.assertEqual(b.choices[0].message.content, a.choices[0].message.content)
        self.assertEqual(set(json.loads(b.choices[0].message.content)), {"name", "city", "projects"})

    def test_sixteen_at_once_and_opting_out(self):
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            plain = list(pool.map(lambda m: chat(PLAIN, m).choices[0].message.content, PROMPTS[:16]))
            spec = list(pool.map(lambda m: chat(SPEC, m).choices[0].message.content, PROMPTS[:16]))
        self.assertEqual(spec, plain)
        before = metrics()
        b = chat(SPEC, PROMPTS[1], extra_body={"speculative": False})
        self.assertEqual(b.choices[0].message.content, chat(PLAIN, PROMPTS[1]).choices[0].message.content)
        self.assertEqual(metrics()["draft_tokens"], before["draft_tokens"], "an opted-out request got guesses")
        with self.assertRaises(openai.BadRequestError):
            chat(SPEC, PROMPTS[1], extra_body={"speculative": "no"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
