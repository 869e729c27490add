"""The real `openai` SDK's `embeddings.create` against `tern serve` with SmolLM2 (TERN_BASE_URL):
one input, many inputs, base64 (what the SDK asks for by default and decodes with numpy) equal to
floats, token-id inputs, and bad input answered with a 400 while the server keeps serving; and
with the tiny BERT encoder (TERN_ENCODER_URL): its vectors within 1e-4 of the NumPy reference,
completions and chat refused with a 400 naming why."""
import array
import math
import os
import unittest

import openai

BASE = os.environ["TERN_BASE_URL"]
client = openai.OpenAI(base_url=BASE, api_key="unused")
MODEL = client.models.list().data[0].id
TEXTS = ["The cat sat on the mat.", "A dog barked at the mailman.", "Stock markets fell sharply today."]


def f32(v):
    """As float32s: JSON carries a float32's shortest digits, base64 its exact bits."""
    return array.array("f", v)


def norm(v):
    return math.sqrt(sum(x * x for x in v))


class Embeddings(unittest.TestCase):
    def test_one_input(self):
        r = client.embeddings.create(model=MODEL, input=TEXTS[0])  # the SDK asks for base64 and decodes it
        self.assertEqual(r.object, "list")
        self.assertEqual(r.model, MODEL)
        self.assertEqual(len(r.data), 1)
        self.assertEqual(r.data[0].index, 0)
        self.assertEqual(len(r.data[0].embedding), 576)
        self.assertAlmostEqual(norm(r.data[0].embedding), 1.0, places=5)
        self.assertGreater(r.usage.prompt_tokens, 3)
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens)

    def test_many_inputs_base64_equals_float_and_alone(self):
        floats = client.embeddings.create(model=MODEL, input=TEXTS, encoding_format="float")
        b64 = client.embeddings.create(model=MODEL, input=TEXTS)
        self.assertEqual([d.index for d in floats.data], [0, 1, 2])
        for i, text in enumerate(TEXTS):
            self.assertEqual(f32(b64.data[i].embedding), f32(floats.data[i].embedding), f"input {i}: base64 and float carry the same float32s")
            alone = client.embeddings.create(model=MODEL, input=text, encoding_format="float")
            self.assertEqual(alone.data[0].embedding, floats.data[i].embedding, f"input {i} alone equals its place in the batch")
        self.assertEqual(floats.usage.prompt_tokens, b64.usage.prompt_tokens)
        self.assertNotEqual(floats.data[0].embedding, floats.data[1].embedding)

    def test_token_id_inputs(self):
        text = client.embeddings.create(model=MODEL, input=TEXTS[1], encoding_format="float").data[0].embedding
        import json
        import urllib.request
        req = urllib.request.Request(BASE.removesuffix("/v1") + "/tokenize", data=json.dumps({"prompt": TEXTS[1]}).encode())
        ids = json.load(urllib.request.urlopen(req))["tokens"]
        one = client.embeddings.create(model=MODEL, input=ids, encoding_format="float")
        self.assertEqual(one.data[0].embedding, text)
        many = client.embeddings.create(model=MODEL, input=[ids, ids[:3]], encoding_format="float")
        self.assertEqual(len(many.data), 2)
        self.assertEqual(many.data[0].embedding, text)
        self.assertEqual(many.usage.prompt_tokens, len(ids) + 3)

    def test_bad_input_is_400_and_the_server_keeps_serving(self):
        for kwargs, mentions in [(dict(input=[]), "empty"), (dict(input=[[1, 2], []]), "no tokens"),
                                 (dict(input=TEXTS[0], dimensions=64), "dimensions"),
                                 (dict(input=[10 ** 9]), "input"), (dict(input="word " * 9000), "context length"),
                                 (dict(input=TEXTS[0], encoding_format="int8"), "base64")]:
            with self.assertRaises(openai.BadRequestError, msg=str(kwargs)[:80]) as e:
                client.embeddings.create(model=MODEL, **kwargs)
            self.assertIn(mentions, e.exception.message)
        with self.assertRaises(openai.NotFoundError):
            client.embeddings.create(model="no-such-model", input="x")
        self.assertEqual(len(client.embeddings.create(model=MODEL, input="still here").data[0].embedding), 576)
        chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=4, temperature=0)
        self.assertTrue(chat.choices[0].message.content)


class Encoder(unittest.TestCase):
    base = os.environ["TERN_ENCODER_URL"]
    bert = openai.OpenAI(base_url=base, api_key="unused")

    def test_vectors_match_numpy_and_generation_is_refused(self):
        import json
        with open(os.path.join(os.environ["TERN_FIXTURES"], "tiny-bert", "reference.json")) as f:
            reference = json.load(f)
        model = self.bert.models.list().data[0].id
        texts = [s["text"] for s in reference["sequences"]]
        by_text = self.bert.embeddings.create(model=model, input=texts)
        by_ids = self.bert.embeddings.create(model=model, input=[s["token_ids"] for s in reference["sequences"]], encoding_format="float")
        for i, seq in enumerate(reference["sequences"]):
            for got in (by_text.data[i].embedding, by_ids.data[i].embedding):
                self.assertLess(max(abs(a - b) for a, b in zip(got, seq["mean"])), 1e-4, seq["text"])
        self.assertEqual(by_ids.usage.prompt_tokens, sum(len(s["token_ids"]) for s in reference["sequences"]))
        for call in (lambda: self.bert.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=4),
                     lambda: self.bert.completions.create(model=model, prompt="Hi", max_tokens=4)):
            with self.assertRaises(openai.BadRequestError) as e:
                call()
            self.assertIn("embedding (encoder) model", e.exception.message)
        with self.assertRaises(openai.BadRequestError) as e:
            self.bert.embeddings.create(model=model, input="word " * 100)
        self.assertIn("context length", e.exception.message)
        self.assertEqual(len(self.bert.embeddings.create(model=model, input="still serving").data[0].embedding), 64)


if __name__ == "__main__":
    unittest.main(verbosity=2)
