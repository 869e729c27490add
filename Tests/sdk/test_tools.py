"""Tool calling through the real `openai` SDK, on both test models (SmolLM2 at TERN_BASE_URL,
Gemma 3 at TERN_GEMMA_URL; neither template has a tool format, so both use Tern's generic
one): `required` and named choices give calls whose arguments validate with `jsonschema`
(greedy and three seeds at temperature 1), `parallel_tool_calls: false` gives one call,
`none` gives text, `auto` gives text or valid calls, tool results in the history reach the
rendered prompt, streamed deltas assembled by the SDK's stream helper (and by hand) give the
same valid calls, and bad tool fields are 400s naming the field."""
import concurrent.futures
import json
import os
import unittest
import urllib.request

import jsonschema
import openai

SERVERS = {"smollm2": os.environ["TERN_BASE_URL"], "gemma": os.environ["TERN_GEMMA_URL"]}
CLIENTS = {name: openai.OpenAI(base_url=url, api_key="unused", max_retries=0) for name, url in SERVERS.items()}
MODELS = {name: client.models.list().data[0].id for name, client in CLIENTS.items()}

WEATHER = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
           "required": ["city", "unit"], "additionalProperties": False}
ADD = {"type": "object", "properties": {"a": {"type": "integer", "minimum": -1000, "maximum": 1000},
                                        "b": {"type": "integer", "minimum": -1000, "maximum": 1000}},
       "required": ["a", "b"]}
BOOK = {"type": "object", "properties": {
    "title": {"type": "string", "maxLength": 40},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 3},
    "when": {"type": "string", "format": "date"}}, "required": ["title", "when"], "additionalProperties": False}
SCHEMAS = {"get_weather": WEATHER, "add": ADD, "book_meeting": BOOK}
TOOLS = [{"type": "function", "function": {"name": name, "description": description, "parameters": SCHEMAS[name]}}
         for name, description in [("get_weather", "Current weather in a city."), ("add", "Adds two integers."),
                                   ("book_meeting", "Books a meeting on a date.")]]
ASK = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "What is the weather in Paris?"}]


def named(name):
    return {"type": "function", "function": {"name": name}}


def check_call(test, call, allowed, label):
    test.assertTrue(call.id.startswith("call_"), label)
    test.assertEqual(call.type, "function", label)
    test.assertIn(call.function.name, allowed, label)
    args = json.loads(call.function.arguments)
    jsonschema.validate(args, SCHEMAS[call.function.name], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def create(model, seed=None, **fields):
    args = dict(model=MODELS[model], messages=ASK, tools=TOOLS, max_tokens=600)
    args.update(dict(temperature=0) if seed is None else dict(temperature=1.0, seed=seed))
    args.update(fields)
    return CLIENTS[model].chat.completions.create(**args)


class Calls(unittest.TestCase):
    def test_required_and_named_give_valid_calls_greedy_and_sampled(self):
        choices = [("required", set(SCHEMAS)), (named("add"), {"add"}), (named("book_meeting"), {"book_meeting"})]
        jobs = [(m, choice, allowed, seed, parallel) for m in SERVERS for choice, allowed in choices
                for seed in (None, 1, 2, 3) for parallel in (True, False)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda j: (j, create(j[0], j[3], tool_choice=j[1], parallel_tool_calls=j[4])), jobs))
        failures = []
        for (model, choice, allowed, seed, parallel), r in results:
            c = r.choices[0]
            label = f"{model} {choice} seed={seed} parallel={parallel}"
            try:
                self.assertEqual(c.finish_reason, "tool_calls", label)
                self.assertIsNone(c.message.content, label)
                self.assertGreaterEqual(len(c.message.tool_calls), 1, label)
                if not parallel:
                    self.assertEqual(len(c.message.tool_calls), 1, label)
                for call in c.message.tool_calls:
                    check_call(self, call, allowed, label)
                self.assertEqual(len({call.id for call in c.message.tool_calls}), len(c.message.tool_calls))
            except Exception as e:
                failures.append(f"{label}: {e!s:.200} :: {c.message!r:.400}")
        print(f"tool calls: {len(results) - len(failures)}/{len(results)} valid")
        for f in failures:
            print("  " + f)
        self.assertEqual(failures, [])

    def test_none_gives_text_and_auto_gives_text_or_valid_calls(self):
        for model in SERVERS:
            r = create(model, tool_choice="none", max_tokens=40)
            c = r.choices[0]
            self.assertIsNone(c.message.tool_calls, model)
            self.assertIsInstance(c.message.content, str)
            self.assertIn(c.finish_reason, ("stop", "length"))
            for seed in (None, 1, 2):
                c = create(model, seed, tool_choice="auto").choices[0]
                if c.message.tool_calls:
                    self.assertIn(c.finish_reason, ("tool_calls", "length"), model)
                    if c.finish_reason == "tool_calls":
                        for call in c.message.tool_calls:
                            check_call(self, call, set(SCHEMAS), f"{model} auto seed={seed}")
                else:
                    self.assertIsInstance(c.message.content, str)
                    self.assertIn(c.finish_reason, ("stop", "length"))

    def test_tool_results_in_history_are_rendered(self):
        history = ASK + [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_abc123", "type": "function",
                 "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris", "unit": "celsius"})}}]},
            {"role": "tool", "tool_call_id": "call_abc123", "content": json.dumps({"temperature": 18, "sky": "clear"})}]
        for model, url in SERVERS.items():
            # The prompt as the server renders it (vLLM's /tokenize chat form, then /detokenize).
            root = url.rsplit("/v1", 1)[0]
            post = lambda path, body: json.load(urllib.request.urlopen(urllib.request.Request(
                root + path, json.dumps(body).encode(), {"Content-Type": "application/json"})))
            ids = post("/tokenize", {"messages": history, "tools": TOOLS})["tokens"]
            text = post("/detokenize", {"tokens": ids})["prompt"]
            self.assertIn('"name":"book_meeting"', text, model)
            self.assertIn('<tool_call>{"name":"get_weather","arguments":{"city":"Paris","unit":"celsius"}}</tool_call>', text, model)
            self.assertIn('{"temperature": 18, "sky": "clear"}', text, model)
            c = create(model, messages=history, tool_choice="none", max_tokens=30).choices[0]
            self.assertIsInstance(c.message.content, str)
            self.assertIn(c.finish_reason, ("stop", "length"))
            # And a follow-up call after the result validates too.
            c = create(model, messages=history + [{"role": "user", "content": "And in Rome?"}], tool_choice="required").choices[0]
            self.assertEqual(c.finish_reason, "tool_calls")
            for call in c.message.tool_calls:
                check_call(self, call, set(SCHEMAS), f"{model} follow-up")


class Streaming(unittest.TestCase):
    def test_sdk_stream_helper_assembles_the_same_valid_calls(self):
        for model, client in CLIENTS.items():
            for choice, seed in (("required", None), (named("get_weather"), 7), (named("book_meeting"), 3)):
                args = dict(model=MODELS[model], messages=ASK, tools=TOOLS, tool_choice=choice, max_tokens=200,
                            parallel_tool_calls=False, **(dict(temperature=0) if seed is None else dict(temperature=1.0, seed=seed)))
                whole = client.chat.completions.create(**args).choices[0]
                with client.chat.completions.stream(**args) as stream:
                    events = [e.type for e in stream]
                    final = stream.get_final_completion().choices[0]
                label = f"{model} {choice} seed={seed}"
                self.assertIn("tool_calls.function.arguments.delta", events, label)
                self.assertIn("tool_calls.function.arguments.done", events, label)
                self.assertEqual(final.finish_reason, "tool_calls", label)
                self.assertEqual(len(final.message.tool_calls), 1, label)
                for call in final.message.tool_calls:
                    check_call(self, call, set(SCHEMAS), label)
                self.assertEqual([(c.function.name, c.function.arguments) for c in final.message.tool_calls],
                                 [(c.function.name, c.function.arguments) for c in whole.message.tool_calls], label)

    def test_raw_deltas_name_first_then_arguments_in_pieces(self):
        chunks = list(create("smollm2", tool_choice="required", stream=True, stream_options={"include_usage": True}))
        calls, finish, pieces = {}, None, 0
        for ch in chunks:
            if not ch.choices:
                self.assertGreater(ch.usage.completion_tokens, 0)
                continue
            if ch.choices[0].finish_reason:
                finish = ch.choices[0].finish_reason
            for d in ch.choices[0].delta.tool_calls or []:
                if d.index not in calls:
                    self.assertTrue(d.id.startswith("call_"))
                    self.assertEqual(d.type, "function")
                    self.assertTrue(d.function.name)
                    calls[d.index] = [d.function.name, d.function.arguments or ""]
                else:
                    self.assertIsNone(d.function.name)
                    calls[d.index][1] += d.function.arguments
                    pieces += 1
        self.assertEqual(finish, "tool_calls")
        self.assertGreater(pieces, 1)
        for name, arguments in calls.values():
            jsonschema.validate(json.loads(arguments), SCHEMAS[name])


class BadInput(unittest.TestCase):
    def expect_400(self, param, **fields):
        args = dict(model=MODELS["smollm2"], messages=[{"role": "user", "content": "x"}], max_tokens=5)
        args.update(fields)
        with self.assertRaises(openai.BadRequestError) as e:
            CLIENTS["smollm2"].chat.completions.create(**args)
        self.assertEqual(e.exception.body.get("param"), param, e.exception.body)
        return e.exception.body["message"]

    def test_bad_tool_fields_name_the_field(self):
        f = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        self.expect_400("tools", tools={"type": "function"})
        self.expect_400("tools[0].function.name", tools=[{"type": "function", "function": {"parameters": {}}}])
        self.expect_400("tools[0].function.parameters", tools=[{"type": "function", "function": {"name": "f", "parameters": "x"}}])
        message = self.expect_400("tools[1].function.parameters", tool_choice="required", tools=[f, {"type": "function", "function": {
            "name": "g", "parameters": {"type": "object", "properties": {"s": {"type": "string", "contentEncoding": "base64"}}}}}])
        self.assertIn("contentEncoding", message)
        self.expect_400("tool_choice", tools=[f], tool_choice=named("nope"))
        self.expect_400("tool_choice", tool_choice="required")
        self.expect_400("messages", messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": "f", "arguments": "{}"}}]}])
        self.expect_400("messages", messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}])
        self.expect_400("messages", messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
            {"id": "c1", "type": "function"}]}])
        self.expect_400("messages", messages=[{"role": "user", "content": "x"}, {"role": "tool", "content": "42"}])


if __name__ == "__main__":
    unittest.main(verbosity=2)
