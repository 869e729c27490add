"""The real `openai` Python SDK, unchanged but for base_url, against a running `tern serve`
with SmolLM2. TERN_BASE_URL: the open server; TERN_KEYED_URL: a server with api key
"test-key", max_num_seqs 1 and max_waiting 0 (for auth and overload); TERN_CHECKPOINT_URL: a
server of the tiny Qwen2 safetensors folder (tokenizer.json, tokenizer_config.json's template)."""
import json
import os
import threading
import unittest
import urllib.error
import urllib.request

import openai

BASE = os.environ["TERN_BASE_URL"]
KEYED = os.environ["TERN_KEYED_URL"]
client = openai.OpenAI(base_url=BASE, api_key="unused")
MODEL = client.models.list().data[0].id


class CheckpointModel(unittest.TestCase):
    """A Hugging Face checkpoint folder served as GGUF files are: its tokenizer.json tokenizes as
    the `tokenizers` package did for the fixture, and its chat template drives chat."""

    base = os.environ["TERN_CHECKPOINT_URL"]
    tiny = openai.OpenAI(base_url=base, api_key="unused")

    def test_folder_serves_chat_with_its_own_tokenizer_and_template(self):
        self.assertEqual([m.id for m in self.tiny.models.list().data], ["tiny-qwen2"])
        reference = json.load(open(os.path.join(os.environ["TERN_FIXTURES"], "tiny-qwen2", "reference.json")))
        for seq in reference["sequences"]:
            req = urllib.request.Request(self.base.removesuffix("/v1") + "/tokenize", data=json.dumps({"prompt": seq["text"]}).encode())
            # The reference forward pass took the text's first tokens.
            self.assertEqual(json.load(urllib.request.urlopen(req))["tokens"][:len(seq["token_ids"])], seq["token_ids"])
        messages = [{"role": "user", "content": "Hello there!"}]
        whole = self.tiny.chat.completions.create(model="tiny-qwen2", messages=messages, max_tokens=12, temperature=0)
        stream = self.tiny.chat.completions.create(model="tiny-qwen2", messages=messages, max_tokens=12, temperature=0, stream=True)
        self.assertEqual("".join(c.choices[0].delta.content or "" for c in stream if c.choices), whole.choices[0].message.content)
        self.assertGreater(whole.usage.prompt_tokens, len(reference["sequences"][0]["token_ids"]) - 1)

    def test_generation_config_supplies_omitted_sampling_fields(self):
        # The fixture's generation_config.json says temperature 0: requests that leave it out are
        # greedy (with OpenAI's default of 1 these random-weight outputs would differ run to run).
        prompt = "Numbers like 3.14159"
        greedy = self.tiny.completions.create(model="tiny-qwen2", prompt=prompt, max_tokens=16, temperature=0).choices[0].text
        for _ in range(3):
            self.assertEqual(self.tiny.completions.create(model="tiny-qwen2", prompt=prompt, max_tokens=16).choices[0].text, greedy)
        sampled = {self.tiny.completions.create(model="tiny-qwen2", prompt=prompt, max_tokens=16, temperature=1.5, extra_body={"top_k": 0},
                                                seed=s).choices[0].text for s in range(4)}
        self.assertGreater(len(sampled), 1)


class Completions(unittest.TestCase):
    def complete(self, **kw):
        kw.setdefault("max_tokens", 8)
        kw.setdefault("temperature", 0)
        return client.completions.create(model=MODEL, **kw)

    def test_every_prompt_form(self):
        text = self.complete(prompt="The capital of France is").choices[0].text
        self.assertTrue(text)
        req = urllib.request.Request(BASE.removesuffix("/v1") + "/tokenize", data=b'{"prompt": "The capital of France is"}')
        ids = json.load(urllib.request.urlopen(req))["tokens"]
        self.assertEqual(self.complete(prompt=ids).choices[0].text, text)
        many = self.complete(prompt=["The capital of France is", "One, two, three,"])
        self.assertEqual([c.index for c in many.choices], [0, 1])
        self.assertEqual(many.choices[0].text, text)
        self.assertEqual(self.complete(prompt=[ids, ids]).choices[1].text, text)

    def test_n_logprobs_echo_stop(self):
        r = self.complete(prompt="Once upon a time", n=2, temperature=0.9, seed=3, extra_body={"ignore_eos": True})
        self.assertEqual([c.index for c in r.choices], [0, 1])
        self.assertEqual(r.usage.completion_tokens, 16)
        self.assertEqual(r.usage.prompt_tokens, self.complete(prompt="Once upon a time").usage.prompt_tokens)
        lp = self.complete(prompt="Once upon a time", logprobs=2).choices[0].logprobs
        self.assertEqual(len(lp.tokens), 8)
        self.assertEqual(len(lp.token_logprobs), 8)
        self.assertTrue(all(len(t) >= 2 for t in lp.top_logprobs))
        self.assertEqual(lp.text_offset[0], 0)
        echo = self.complete(prompt="Once upon a time", echo=True).choices[0].text
        self.assertTrue(echo.startswith("Once upon a time"))
        echoed = self.complete(prompt="Once upon a time", echo=True, logprobs=1).choices[0]
        self.assertEqual(echoed.text, echo)
        self.assertIsNone(echoed.logprobs.token_logprobs[0])
        self.assertEqual(len(echoed.logprobs.tokens), 4 + 8)
        self.assertTrue(all(v <= 0 for v in echoed.logprobs.token_logprobs[1:]))
        full = self.complete(prompt="Once upon a time", max_tokens=30).choices[0].text
        stop = full[10:14]
        stopped = self.complete(prompt="Once upon a time", max_tokens=30, stop=[stop])
        self.assertEqual(stopped.choices[0].text, full[: full.index(stop)])
        self.assertEqual(stopped.choices[0].finish_reason, "stop")

    def test_streamed_equals_whole(self):
        whole = self.complete(prompt="The sea is", max_tokens=20, temperature=0.8, seed=11).choices[0].text
        parts = [c.choices[0].text for c in client.completions.create(
            model=MODEL, prompt="The sea is", max_tokens=20, temperature=0.8, seed=11, stream=True) if c.choices]
        self.assertEqual("".join(parts), whole)


class Chat(unittest.TestCase):
    messages = [{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Name a color."}]

    def test_non_streamed(self):
        r = client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=20, temperature=0)
        self.assertEqual(r.object, "chat.completion")
        self.assertEqual(r.choices[0].message.role, "assistant")
        self.assertTrue(r.choices[0].message.content)
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)

    def test_streamed_with_and_without_usage(self):
        for include in (True, False):
            kw = {"stream_options": {"include_usage": True}} if include else {}
            chunks = list(client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=10,
                                                         temperature=0, stream=True, **kw))
            self.assertEqual(chunks[0].choices[0].delta.role, "assistant")
            usage = [c for c in chunks if c.usage is not None]
            if include:
                self.assertEqual(len(usage), 1)
                self.assertIs(chunks[-1], usage[0])
                self.assertEqual(chunks[-1].choices, [])
            else:
                self.assertEqual(usage, [])
            self.assertEqual(len({c.id for c in chunks}), 1)
            finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
            self.assertEqual(len(finishes), 1)

    def test_length_stop_and_seed(self):
        r = client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=3, temperature=0)
        self.assertEqual(r.choices[0].finish_reason, "length")
        self.assertEqual(r.usage.completion_tokens, 3)
        long = client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=40, temperature=0)
        text = long.choices[0].message.content
        stop = text[3:6]
        s = client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=40, temperature=0, stop=stop)
        self.assertEqual(s.choices[0].message.content, text[: text.index(stop)])
        self.assertEqual(s.choices[0].finish_reason, "stop")
        a, b = (client.chat.completions.create(model=MODEL, messages=self.messages, max_tokens=30, temperature=1.0,
                                               seed=1234).choices[0].message.content for _ in range(2))
        self.assertEqual(a, b)

    def test_streamed_equals_whole_with_logprobs(self):
        kw = dict(model=MODEL, messages=self.messages, max_tokens=25, temperature=0.7, seed=5)
        whole = client.chat.completions.create(logprobs=True, top_logprobs=2, **kw)
        self.assertEqual(len(whole.choices[0].logprobs.content), whole.usage.completion_tokens)
        parts = [c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **kw) if c.choices]
        self.assertEqual("".join(parts), whole.choices[0].message.content)


class Errors(unittest.TestCase):
    def test_bad_parameter(self):
        with self.assertRaises(openai.BadRequestError) as e:
            client.completions.create(model=MODEL, prompt="x", temperature=5)
        self.assertEqual(e.exception.body.get("param"), "temperature")
        with self.assertRaises(openai.BadRequestError):
            client.chat.completions.create(model=MODEL, messages=[], max_tokens=3)
        with self.assertRaises(openai.NotFoundError):
            client.completions.create(model="no-such-model", prompt="x")

    def test_missing_or_wrong_key(self):
        with self.assertRaises(openai.AuthenticationError):
            openai.OpenAI(base_url=KEYED, api_key="wrong", max_retries=0).models.list()
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(KEYED + "/models")
        self.assertEqual(e.exception.code, 401)
        self.assertEqual(json.load(e.exception)["error"]["type"], "authentication_error")
        ok = openai.OpenAI(base_url=KEYED, api_key="test-key")
        self.assertTrue(ok.models.list().data)

    def test_overload_is_a_rate_limit_after_retries(self):
        keyed = openai.OpenAI(base_url=KEYED, api_key="test-key", max_retries=2)
        started, done = threading.Event(), threading.Event()

        def hog():
            # Holds the only slot until the retries are over (4,000 tokens outlast them at any
            # speed this server reaches; it stops as soon as the test is done).
            stream = keyed.completions.create(model=MODEL, prompt="Go on", max_tokens=4000, stream=True,
                                              extra_body={"ignore_eos": True})
            for i, _ in enumerate(stream):
                if i == 1:
                    started.set()
                if done.is_set():
                    break
            stream.close()

        t = threading.Thread(target=hog)
        t.start()
        try:
            self.assertTrue(started.wait(60))
            with self.assertRaises(openai.RateLimitError):
                keyed.completions.create(model=MODEL, prompt="x", max_tokens=2)
        finally:
            done.set()
            t.join()


if __name__ == "__main__":
    unittest.main(verbosity=2)
