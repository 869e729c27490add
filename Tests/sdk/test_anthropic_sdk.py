"""The real `anthropic` Python SDK, unchanged but for base_url, against a running `tern serve`
with SmolLM2 (Anthropic's Messages API: /v1/messages and /v1/messages/count_tokens).
TERN_BASE_URL: the open server; TERN_KEYED_URL: a server with api key "test-key"."""
import json
import os
import unittest
import urllib.error
import urllib.request

import anthropic
import jsonschema
import openai

BASE = os.environ["TERN_BASE_URL"].removesuffix("/v1")
KEYED = os.environ["TERN_KEYED_URL"].removesuffix("/v1")
client = anthropic.Anthropic(base_url=BASE, api_key="unused", max_retries=0)
MODEL = openai.OpenAI(base_url=BASE + "/v1", api_key="unused").models.list().data[0].id
ASK = [{"role": "user", "content": "Name three colors."}]
ADD = {"type": "object", "properties": {"a": {"type": "integer", "minimum": -1000, "maximum": 1000},
                                        "b": {"type": "integer", "minimum": -1000, "maximum": 1000}},
       "required": ["a", "b"]}


def sampling(kw):
    """The request with its sampling fields in extra_body: this SDK's methods no longer take
    temperature/top_p/top_k as arguments, but the API (and Tern) still reads them."""
    extra = {k: kw.pop(k) for k in ("temperature", "top_p", "top_k") if k in kw}
    return dict(kw, extra_body=extra) if extra else kw


def create(**kw):
    kw.setdefault("model", MODEL)
    kw.setdefault("max_tokens", 24)
    kw.setdefault("messages", ASK)
    kw.setdefault("temperature", 0)
    return client.messages.create(**sampling(kw))


def stream(c=None, **kw):
    kw.setdefault("model", MODEL)
    kw.setdefault("max_tokens", 24)
    kw.setdefault("messages", ASK)
    kw.setdefault("temperature", 0)
    return (c or client).messages.stream(**sampling(kw))


class Messages(unittest.TestCase):
    def test_create_has_anthropics_shape(self):
        m = create(system="You are terse.")
        self.assertTrue(m.id.startswith("msg_"))
        self.assertEqual((m.type, m.role, m.model), ("message", "assistant", MODEL))
        self.assertEqual([b.type for b in m.content], ["text"])
        self.assertTrue(m.content[0].text)
        self.assertIn(m.stop_reason, ("end_turn", "max_tokens"))
        self.assertGreater(m.usage.input_tokens, 5)
        self.assertLessEqual(m.usage.output_tokens, 24)
        # One max_tokens token: cut by the length limit.
        short = create(max_tokens=1)
        self.assertEqual((short.stop_reason, short.usage.output_tokens), ("max_tokens", 1))

    def test_system_as_text_blocks_and_content_blocks_equal_strings(self):
        plain = create(system="You are terse.", messages=[{"role": "user", "content": "Hi"}])
        blocks = create(system=[{"type": "text", "text": "You are terse."}],
                        messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
        self.assertEqual(plain.content[0].text, blocks.content[0].text)
        self.assertEqual(plain.usage.input_tokens, blocks.usage.input_tokens)

    def test_stream_assembles_to_the_whole_answer(self):
        for kw in [dict(), dict(max_tokens=60, messages=[{"role": "user", "content": "Hello"},
                                                         {"role": "assistant", "content": "Hi! How can I help?"},
                                                         {"role": "user", "content": "Tell me about Paris."}])]:
            whole = create(**kw)
            kw.setdefault("max_tokens", 24)
            with stream(**kw) as s:
                text = "".join(s.text_stream)
                final = s.get_final_message()
            self.assertEqual(text, whole.content[0].text)
            self.assertEqual(final.content[0].text, whole.content[0].text)
            self.assertEqual((final.stop_reason, final.usage.output_tokens), (whole.stop_reason, whole.usage.output_tokens))
            self.assertEqual(final.usage.input_tokens, whole.usage.input_tokens)

    def test_raw_stream_event_sequence(self):
        events = [e.type for e in create(stream=True)]
        self.assertEqual(events[:2], ["message_start", "content_block_start"])
        self.assertEqual(set(events[2:-3]), {"content_block_delta"})
        self.assertEqual(events[-3:], ["content_block_stop", "message_delta", "message_stop"])

    def test_stop_sequences(self):
        whole = create(max_tokens=40).content[0].text
        words = whole.split()
        self.assertGreater(len(words), 2, whole)
        stop = words[2]
        m = create(max_tokens=40, stop_sequences=[stop])
        self.assertEqual((m.stop_reason, m.stop_sequence), ("stop_sequence", stop))
        self.assertEqual(m.content[0].text, whole[:whole.index(stop)])
        with stream(max_tokens=40, stop_sequences=[stop]) as s:
            self.assertEqual("".join(s.text_stream), m.content[0].text)
            final = s.get_final_message()
        self.assertEqual((final.stop_reason, final.stop_sequence), ("stop_sequence", stop))

    def test_count_tokens_is_the_prompt_the_answer_reports(self):
        kw = dict(system="You are terse.", messages=[{"role": "user", "content": "Hi"}])
        counted = client.messages.count_tokens(model=MODEL, **kw).input_tokens
        self.assertEqual(counted, create(**kw).usage.input_tokens)
        longer = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hi " * 50}]).input_tokens
        self.assertGreater(longer, counted + 40)


class Errors(unittest.TestCase):
    def test_bad_input_is_400_in_anthropics_shape_and_the_server_keeps_serving(self):
        bad = [dict(model=MODEL, messages=ASK),  # no max_tokens
               dict(model=MODEL, max_tokens=10, messages=[]),
               dict(model=MODEL, max_tokens=10, messages=[{"role": "robot", "content": "x"}]),
               dict(model=MODEL, max_tokens=10, messages=ASK, temperature=1.5),
               dict(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": [{"type": "image", "source": {}}]}]),
               dict(model=MODEL, max_tokens=10, messages=ASK, stop_sequences=[""])]
        for body in bad:
            req = urllib.request.Request(BASE + "/v1/messages", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req)
            self.assertEqual(e.exception.code, 400, body)
            error = json.load(e.exception)
            self.assertEqual(error["type"], "error")
            self.assertEqual(error["error"]["type"], "invalid_request_error")
            self.assertTrue(error["error"]["message"])
        with self.assertRaises(anthropic.BadRequestError) as e:
            create(temperature=3)
        self.assertEqual(e.exception.body["error"]["type"], "invalid_request_error")
        with self.assertRaises(anthropic.NotFoundError) as e:
            create(model="claude-nonexistent")
        self.assertEqual(e.exception.body["error"]["type"], "not_found_error")
        self.assertTrue(create().content[0].text)

    def test_keyed_server_takes_x_api_key_and_refuses_a_wrong_one(self):
        with self.assertRaises(anthropic.AuthenticationError) as e:
            anthropic.Anthropic(base_url=KEYED, api_key="wrong", max_retries=0).messages.create(model=MODEL, max_tokens=4, messages=ASK)
        self.assertEqual(e.exception.body["error"]["type"], "authentication_error")
        ok = anthropic.Anthropic(base_url=KEYED, api_key="test-key", max_retries=2)  # the SDK sends x-api-key
        self.assertTrue(ok.messages.create(model=MODEL, max_tokens=4, messages=ASK).content[0].text)
        self.assertGreater(ok.messages.count_tokens(model=MODEL, messages=ASK).input_tokens, 0)


class Tools(unittest.TestCase):
    TOOLS = [{"name": "add", "description": "Adds two integers.", "input_schema": ADD}]
    ASK = [{"role": "user", "content": "What is 2 plus 3? Use the add tool."}]

    def test_forced_tool_gives_a_valid_tool_use_block_streamed_and_whole(self):
        kw = dict(messages=self.ASK, tools=self.TOOLS, tool_choice={"type": "tool", "name": "add"}, max_tokens=200)
        m = create(**kw)
        self.assertEqual(m.stop_reason, "tool_use")
        uses = [b for b in m.content if b.type == "tool_use"]
        self.assertEqual(len(uses), 1, m.content)
        self.assertEqual(uses[0].name, "add")
        jsonschema.validate(uses[0].input, ADD)
        with stream(**kw) as s:
            final = s.get_final_message()
        self.assertEqual([(b.type, getattr(b, "input", None)) for b in final.content], [(b.type, getattr(b, "input", None)) for b in m.content])
        self.assertEqual(final.stop_reason, "tool_use")
        # The result goes back as a tool_result block; the answer continues the conversation.
        history = self.ASK + [{"role": "assistant", "content": [b.model_dump() for b in m.content]},
                              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": "5"}]}]
        after = create(messages=history, tools=self.TOOLS, max_tokens=20)
        self.assertIn(after.stop_reason, ("end_turn", "max_tokens", "tool_use"))
        counted = client.messages.count_tokens(model=MODEL, messages=history, tools=self.TOOLS).input_tokens
        self.assertEqual(counted, after.usage.input_tokens)


if __name__ == "__main__":
    unittest.main()
