"""The Responses API through the real `openai` SDK (`client.responses`), unchanged but for
base_url, against a running `tern serve` with SmolLM2: create with string and item input and
instructions, the SDK's stream helper (text deltas assemble to the non-streamed text at
temperature 0, the final response equals it), `previous_response_id` continuing a
conversation, retrieve/delete/input_items and `store=False`, a json_schema text format
validating with `jsonschema`, a function tool giving `function_call` items (whole and
streamed), and bad input as 400s in OpenAI's error shape with the server still serving.
TERN_BASE_URL: the open server; TERN_KEYED_URL: a server with api key "test-key"."""
import json
import os
import unittest
import urllib.error
import urllib.request

import jsonschema
import openai

BASE = os.environ["TERN_BASE_URL"]
client = openai.OpenAI(base_url=BASE, api_key="unused", max_retries=0)
MODEL = client.models.list().data[0].id
PERSON = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 30},
                                           "age": {"type": "integer", "minimum": 0, "maximum": 150}},
          "required": ["name", "age"], "additionalProperties": False}
ADD = {"type": "object", "properties": {"a": {"type": "integer", "minimum": -1000, "maximum": 1000},
                                        "b": {"type": "integer", "minimum": -1000, "maximum": 1000}},
       "required": ["a", "b"], "additionalProperties": False}
TOOLS = [{"type": "function", "name": "add", "description": "Adds two integers.", "parameters": ADD, "strict": True}]


def create(**kw):
    kw.setdefault("model", MODEL)
    kw.setdefault("temperature", 0)
    kw.setdefault("max_output_tokens", 60)
    return client.responses.create(**kw)


def stream(**kw):
    kw.setdefault("model", MODEL)
    kw.setdefault("temperature", 0)
    kw.setdefault("max_output_tokens", 60)
    return client.responses.stream(**kw)


class Create(unittest.TestCase):
    def test_string_input_has_the_response_shape(self):
        r = create(input="Name three colors.", metadata={"run": "sdk"})
        self.assertTrue(r.id.startswith("resp_"))
        self.assertEqual((r.object, r.model, r.status), ("response", MODEL, "completed"))
        self.assertEqual([o.type for o in r.output], ["message"])
        self.assertEqual(r.output[0].role, "assistant")
        self.assertTrue(r.output_text)
        self.assertEqual(r.output_text, r.output[0].content[0].text)
        self.assertEqual(r.metadata, {"run": "sdk"})
        u = r.usage
        self.assertEqual(u.total_tokens, u.input_tokens + u.output_tokens)
        self.assertEqual((u.input_tokens_details.cached_tokens, u.output_tokens_details.reasoning_tokens), (0, 0))
        self.assertLessEqual(u.output_tokens, 60)

    def test_items_input_equals_the_string_and_instructions_reach_the_prompt(self):
        plain = create(input="Hi")
        items = create(input=[{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}])
        self.assertEqual((items.output_text, items.usage.input_tokens), (plain.output_text, plain.usage.input_tokens))
        instructed = create(input="Hi", instructions="You are a pirate. Answer like one.")
        self.assertEqual(instructed.instructions, "You are a pirate. Answer like one.")
        system = create(input=[{"role": "system", "content": "You are a pirate. Answer like one."}, {"role": "user", "content": "Hi"}])
        self.assertEqual((instructed.output_text, instructed.usage.input_tokens), (system.output_text, system.usage.input_tokens))
        developer = create(input=[{"role": "developer", "content": "You are a pirate. Answer like one."}, {"role": "user", "content": "Hi"}])
        self.assertEqual(developer.output_text, system.output_text)
        # A multi-turn item list with an assistant output item in it.
        turns = create(input=[{"role": "user", "content": "Hello"},
                              {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi! How can I help?", "annotations": []}]},
                              {"role": "user", "content": "Tell me about Paris."}])
        self.assertGreater(turns.usage.input_tokens, plain.usage.input_tokens + 10)

    def test_cut_off_is_incomplete(self):
        r = create(input="Count to fifty.", max_output_tokens=3)
        self.assertEqual((r.status, r.incomplete_details.reason, r.usage.output_tokens), ("incomplete", "max_output_tokens", 3))


class Stream(unittest.TestCase):
    def test_text_deltas_assemble_to_the_whole_answer(self):
        for kw in [dict(input="Name three colors."),
                   dict(input="What is the capital of France?", instructions="You are terse.", max_output_tokens=200)]:
            whole = create(**kw)
            self.assertEqual(whole.status, "completed", whole.output_text)
            with stream(**kw) as s:
                deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
                final = s.get_final_response()
            self.assertEqual("".join(deltas), whole.output_text)
            self.assertEqual(final.output_text, whole.output_text)
            self.assertEqual((final.status, final.usage.output_tokens, final.usage.input_tokens),
                             (whole.status, whole.usage.output_tokens, whole.usage.input_tokens))

    def test_raw_event_sequence(self):
        events = list(create(input="Name three colors.", stream=True))
        types = [e.type for e in events]
        self.assertEqual(types[:4], ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"])
        self.assertEqual(set(types[4:-4]), {"response.output_text.delta"})
        self.assertEqual(types[-4:], ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"])
        self.assertEqual([e.sequence_number for e in events], list(range(len(events))))
        cut = [e.type for e in create(input="Count to fifty.", max_output_tokens=3, stream=True)]
        self.assertEqual(cut[-1], "response.incomplete")


class Stored(unittest.TestCase):
    def test_previous_response_id_continues_the_conversation(self):
        first = create(input="My name is Ada.", max_output_tokens=30)
        second = create(input="What is my name?", previous_response_id=first.id, max_output_tokens=30)
        alone = create(input="What is my name?", max_output_tokens=30)
        self.assertEqual(second.previous_response_id, first.id)
        # The second prompt holds the first turn: its input and its answer.
        self.assertGreaterEqual(second.usage.input_tokens, first.usage.input_tokens + first.usage.output_tokens)
        self.assertGreater(second.usage.input_tokens, alone.usage.input_tokens)
        # Streamed continuation: the same answer (cut off or not: the deltas, not the final response).
        with stream(input="What is my name?", previous_response_id=first.id, max_output_tokens=30) as s:
            self.assertEqual("".join(e.delta for e in s if e.type == "response.output_text.delta"), second.output_text)

    def test_retrieve_input_items_delete_and_store_false(self):
        r = create(input=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}],
                   max_output_tokens=5)
        got = client.responses.retrieve(r.id)
        self.assertEqual((got.id, got.output_text, got.usage.output_tokens), (r.id, r.output_text, r.usage.output_tokens))
        items = client.responses.input_items.list(r.id)
        self.assertEqual([i.role for i in items.data], ["user", "assistant", "user"][::-1])
        self.assertEqual([i.role for i in client.responses.input_items.list(r.id, order="asc", limit=2).data], ["user", "assistant"])
        client.responses.delete(r.id)
        with self.assertRaises(openai.NotFoundError) as e:
            client.responses.retrieve(r.id)
        self.assertEqual(e.exception.body["type"], "invalid_request_error")
        unstored = create(input="Hi", store=False, max_output_tokens=5)
        self.assertFalse(unstored.store)
        with self.assertRaises(openai.NotFoundError):
            client.responses.retrieve(unstored.id)
        with self.assertRaises(openai.BadRequestError) as e:
            create(input="Hi", previous_response_id=unstored.id)
        self.assertEqual(e.exception.body["param"], "previous_response_id")


class Formats(unittest.TestCase):
    def test_json_schema_output_validates(self):
        fmt = {"format": {"type": "json_schema", "name": "person", "schema": PERSON, "strict": True}}
        r = create(input="Describe a person as JSON.", text=fmt, max_output_tokens=100)
        self.assertEqual(r.status, "completed", r.output_text)
        jsonschema.validate(json.loads(r.output_text), PERSON)
        self.assertEqual((r.text.format.type, r.text.format.name), ("json_schema", "person"))
        with stream(input="Describe a person as JSON.", text=fmt, max_output_tokens=100) as s:
            self.assertEqual(s.get_final_response().output_text, r.output_text)

    def test_function_tool_gives_a_function_call_item(self):
        kw = dict(input="What is 2 plus 3? Use the add tool.", tools=TOOLS, tool_choice="required", max_output_tokens=200)
        r = create(**kw)
        calls = [o for o in r.output if o.type == "function_call"]
        self.assertGreaterEqual(len(calls), 1, r.output)
        for c in calls:
            self.assertEqual(c.name, "add")
            self.assertTrue(c.call_id.startswith("call_"))
            jsonschema.validate(json.loads(c.arguments), ADD)
        with stream(**kw) as s:
            pieces = [e.delta for e in s if e.type == "response.function_call_arguments.delta"]
            final = s.get_final_response()
        self.assertEqual([(o.type, o.name, o.arguments) for o in final.output if o.type == "function_call"],
                         [(c.type, c.name, c.arguments) for c in calls])
        self.assertEqual("".join(pieces), "".join(c.arguments for c in calls))
        # The result goes back as a function_call_output item on the stored conversation.
        after = create(input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "5"}],
                       previous_response_id=r.id, tools=TOOLS, max_output_tokens=20)
        self.assertIn(after.status, ("completed", "incomplete"))
        self.assertGreater(after.usage.input_tokens, r.usage.input_tokens)


class Errors(unittest.TestCase):
    def test_bad_input_is_400_in_openais_shape_and_the_server_keeps_serving(self):
        bad = [dict(model=MODEL),  # no input
               dict(model=MODEL, input=[]),
               dict(model=MODEL, input=[{"role": "robot", "content": "x"}]),
               dict(model=MODEL, input="x", temperature=3),
               dict(model=MODEL, input="x", max_output_tokens=0),
               dict(model=MODEL, input=[{"role": "user", "content": [{"type": "input_image", "image_url": "http://x/y.png"}]}]),
               dict(model=MODEL, input="x", tools=[{"type": "web_search"}]),
               dict(model=MODEL, input="x", text={"format": {"type": "json_schema", "schema": PERSON}}),
               dict(model=MODEL, input="x", metadata={"k": 1}),
               dict(model=MODEL, input="x", previous_response_id="resp_unknown")]
        for body in bad:
            req = urllib.request.Request(BASE + "/responses", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req)
            self.assertEqual(e.exception.code, 400, body)
            error = json.load(e.exception)["error"]
            self.assertEqual(error["type"], "invalid_request_error", body)
            self.assertTrue(error["message"])
            self.assertIn("param", error)
            self.assertIn("code", error)
        with self.assertRaises(openai.BadRequestError) as e:
            create(input="x", temperature=3)
        self.assertEqual(e.exception.body["param"], "temperature")
        with self.assertRaises(openai.NotFoundError):
            client.responses.delete("resp_unknown")
        self.assertTrue(create(input="Hi", max_output_tokens=5).output_text)


if __name__ == "__main__":
    unittest.main()
