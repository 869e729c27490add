"""Structured outputs through the real `openai` SDK, on both test models (SmolLM2 at
TERN_BASE_URL, Gemma 3 at TERN_GEMMA_URL): every schema keyword Tern enforces, greedy and
sampled with three seeds, each output parsed and validated by the `jsonschema` package and
finished with "stop"; constrained requests beside free ones; the SDK's `parse()` with a
Pydantic model; the other dialects' fields (vLLM, llama.cpp); and the 400s."""
import concurrent.futures
import datetime
import json
import os
import re
import unittest
import uuid

import jsonschema
import openai
import pydantic

SERVERS = {"smollm2": os.environ["TERN_BASE_URL"], "gemma": os.environ["TERN_GEMMA_URL"]}
CLIENTS = {name: openai.OpenAI(base_url=url, api_key="unused", max_retries=0) for name, url in SERVERS.items()}
MODELS = {name: client.models.list().data[0].id for name, client in CLIENTS.items()}

DATE = r"^\d{4}-\d{2}-\d{2}$"
SCHEMAS = [
    ("a person", {"type": "object", "properties": {"name": {"type": "string", "maxLength": 30},
                                                    "age": {"type": "integer", "minimum": 0, "maximum": 120}},
                  "required": ["name", "age"], "additionalProperties": False}),
    ("a number", {"type": "number"}),
    ("a yes or no", {"type": "boolean"}),
    ("nothing", {"type": "null"}),
    ("a short word or a count", {"type": ["string", "integer"], "maxLength": 12}),
    ("three colours", {"type": "array", "items": {"type": "string", "maxLength": 15}, "minItems": 3, "maxItems": 3}),
    ("a point", {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}], "items": False}),
    ("a colour", {"enum": ["red", "green", "blue", 7, None]}),
    ("the version", {"type": "object", "properties": {"version": {"const": "1.0"}, "ok": {"type": "boolean"}},
                     "required": ["version", "ok"]}),
    ("an id or a name", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 999}, {"type": "string", "maxLength": 10}]}),
    ("a shape", {"oneOf": [{"type": "object", "properties": {"circle": {"type": "number"}}, "required": ["circle"]},
                           {"type": "object", "properties": {"square": {"type": "integer"}}, "required": ["square"]}]}),
    ("a tree of names", {"$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 12},
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}, "required": ["name"]}},
        "$ref": "#/$defs/node"}),
    ("a code", {"type": "string", "minLength": 4, "maxLength": 8}),
    ("a product code", {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2,4}$"}),
    ("a date", {"type": "string", "format": "date"}),
    ("a time", {"type": "string", "format": "time"}),
    ("a timestamp", {"type": "string", "format": "date-time"}),
    ("an email address", {"type": "string", "format": "email"}),
    ("a uuid", {"type": "string", "format": "uuid"}),
    ("a dice roll", {"type": "integer", "minimum": 1, "maximum": 6}),
    ("a settings object", {"type": "object", "properties": {"mode": {"type": "string", "enum": ["fast", "slow"]}},
                           "required": ["mode"], "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 9}}),
    ("any extra fields", {"type": "object", "properties": {"id": {"type": "integer", "minimum": 0, "maximum": 99}},
                          "required": ["id"], "additionalProperties": True}),
    ("a list of people", {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/p"},
                          "$defs": {"p": {"type": "object", "properties": {"first": {"type": "string", "maxLength": 12},
                                                                           "born": {"type": "string", "format": "date"}},
                                          "required": ["first", "born"], "additionalProperties": False}}}),
]


def check_formats(schema, value):
    """What `jsonschema`'s format checker leaves to optional packages: date-time and time."""
    fmt = schema.get("format") if isinstance(schema, dict) else None
    if fmt == "date":
        datetime.date.fromisoformat(value)
    elif fmt == "date-time":
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    elif fmt == "time":
        assert re.fullmatch(r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value), value
    elif fmt == "uuid":
        uuid.UUID(value)
    elif fmt == "email":
        assert re.fullmatch(r"[^@\s]+@[^@\s]+", value), value


def validate(schema, text):
    value = json.loads(text)
    jsonschema.validate(value, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    check_formats(schema, value)
    return value


def ask(model, what, schema, seed=None, max_tokens=600, **extra):
    args = dict(model=MODELS[model], messages=[{"role": "user", "content": f"Reply with {what} as JSON."}], max_tokens=max_tokens,
                response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}})
    args.update(dict(temperature=0) if seed is None else dict(temperature=1.0, seed=seed))
    args.update(extra)
    return CLIENTS[model].chat.completions.create(**args)


class Validity(unittest.TestCase):
    def test_every_keyword_greedy_and_sampled_on_both_models(self):
        jobs = [(m, what, schema, seed) for m in SERVERS for what, schema in SCHEMAS for seed in (None, 1, 2, 3)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda j: (j, ask(*j)), jobs))
        failures = []
        for (model, what, schema, seed), r in results:
            c = r.choices[0]
            try:
                self.assertEqual(c.finish_reason, "stop")
                validate(schema, c.message.content)
            except Exception as e:  # collect them all, then fail with the list
                failures.append(f"{model} {what!r} seed={seed}: {e!s:.200} :: {c.message.content!r:.300}")
        print(f"structured outputs: {len(results) - len(failures)}/{len(results)} valid")
        for f in failures:
            print("  " + f)
        self.assertEqual(failures, [])

    def test_open_ended_objects_close_within_max_tokens(self):
        # Extra properties could go on past any budget: the answer closes in time instead.
        for model in SERVERS:
            for what, schema in SCHEMAS:
                if what not in ("a settings object", "any extra fields", "a list of people"):
                    continue
                for seed in (None, 7):
                    r = ask(model, what, schema, seed=seed, max_tokens=40)
                    c = r.choices[0]
                    self.assertEqual(c.finish_reason, "stop", f"{model} {what}: {c.message.content!r}")
                    self.assertLessEqual(r.usage.completion_tokens, 40)
                    validate(schema, c.message.content)

    def test_constrained_beside_free_requests(self):
        schema = SCHEMAS[0][1]
        client = CLIENTS["smollm2"]
        free = lambda i: client.chat.completions.create(model=MODELS["smollm2"], messages=[{"role": "user", "content": f"Count to {i}."}],
                                                        max_tokens=24, temperature=0.8, seed=i)
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            constrained = [pool.submit(ask, "smollm2", "a person", schema, i) for i in range(16)]
            others = [pool.submit(free, i) for i in range(16)]
            for f in constrained:
                c = f.result().choices[0]
                self.assertEqual(c.finish_reason, "stop")
                validate(schema, c.message.content)
            for f in others:
                self.assertIn(f.result().choices[0].finish_reason, ("stop", "length"))

    def test_n_logprobs_stream_and_stop(self):
        schema = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 50}, "minItems": 2, "maxItems": 4}
        r = ask("gemma", "a few small numbers", schema, seed=5, n=3, logprobs=True, top_logprobs=2)
        for c in r.choices:
            self.assertEqual(c.finish_reason, "stop")
            validate(schema, c.message.content)
            self.assertGreater(len(c.logprobs.content), 0)
        whole = ask("smollm2", "a few small numbers", schema)
        stream = ask("smollm2", "a few small numbers", schema, stream=True)
        self.assertEqual("".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices), whole.choices[0].message.content)
        # A stop string inside the value still cuts it, as it would free text.
        cut = ask("smollm2", "a few small numbers", schema, stop=[","])
        self.assertNotIn(",", cut.choices[0].message.content)

    def test_sdk_parse_with_pydantic(self):
        class City(pydantic.BaseModel):
            name: str = pydantic.Field(max_length=40)
            country: str = pydantic.Field(max_length=40)
            population: int

        for model, client in CLIENTS.items():
            r = client.chat.completions.parse(model=MODELS[model], messages=[{"role": "user", "content": "Name a large city."}],
                                              response_format=City, temperature=0, max_tokens=128)
            self.assertIsInstance(r.choices[0].message.parsed, City, model)

    def test_json_object_and_other_dialects(self):
        client, m = CLIENTS["smollm2"], MODELS["smollm2"]
        r = client.chat.completions.create(model=m, messages=[{"role": "user", "content": "Describe a cat in JSON."}],
                                           max_tokens=200, temperature=0, response_format={"type": "json_object"})
        if r.choices[0].finish_reason == "stop":
            self.assertIsInstance(json.loads(r.choices[0].message.content), dict)
        else:  # an unbounded object may run out of tokens; what came must be a JSON object's start
            self.assertTrue(r.choices[0].message.content.startswith("{"))
        r = client.completions.create(model=m, prompt="Phone number:", max_tokens=20, temperature=0.9, seed=4,
                                      extra_body={"structured_outputs": {"regex": r"\(\d{3}\) \d{3}-\d{4}"}})
        self.assertRegex(r.choices[0].text, r"^\(\d{3}\) \d{3}-\d{4}$")
        r = client.chat.completions.create(model=m, messages=[{"role": "user", "content": "Is water wet?"}], max_tokens=5,
                                           extra_body={"structured_outputs": {"choice": ["yes", "no"]}})
        self.assertIn(r.choices[0].message.content, ("yes", "no"))
        r = client.completions.create(model=m, prompt="Answer:", max_tokens=10, temperature=0,
                                      extra_body={"grammar": 'root ::= "A" [0-9] [0-9]'})
        self.assertRegex(r.choices[0].text, r"^A\d\d$")
        r = client.completions.create(model=m, prompt="Score:", max_tokens=10, temperature=0,
                                      extra_body={"json_schema": {"type": "integer", "minimum": 1, "maximum": 5}})
        self.assertIn(int(r.choices[0].text), range(1, 6))
        r = client.completions.create(model=m, prompt="Pick:", max_tokens=10, temperature=0,
                                      extra_body={"guided_choice": ["left", "right"]})
        self.assertIn(r.choices[0].text, ("left", "right"))


class BadInput(unittest.TestCase):
    def expect_400(self, param, **fields):
        with self.assertRaises(openai.BadRequestError) as e:
            CLIENTS["smollm2"].chat.completions.create(model=MODELS["smollm2"], messages=[{"role": "user", "content": "x"}], max_tokens=5, **fields)
        self.assertEqual(e.exception.body.get("param"), param)
        return e.exception.body["message"]

    def test_invalid_and_unsupported_schemas_name_the_field(self):
        def fmt(schema):
            return {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
        message = self.expect_400("response_format", response_format=fmt({"type": "string", "contentEncoding": "base64"}))
        self.assertIn("contentEncoding", message)
        self.assertIn("not", self.expect_400("response_format", response_format=fmt({"not": {"type": "string"}})))
        self.expect_400("response_format", response_format=fmt({"type": "strnig"}))
        self.expect_400("response_format", response_format=fmt({"$ref": "#/$defs/missing"}))
        self.expect_400("response_format", response_format={"type": "xml"})
        self.expect_400("structured_outputs", extra_body={"structured_outputs": {"regex": "(unclosed"}})
        self.expect_400("grammar", extra_body={"grammar": "root ::= undefined-rule"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
