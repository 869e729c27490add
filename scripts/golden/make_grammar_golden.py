#!/usr/bin/env python3
"""Property-test fixture for the Grammar module: for each schema below, JSON documents that
are valid and near misses (value-level and text-level mutations), each labelled by the
`jsonschema` package (Draft 2020-12, format checking on). The Swift test checks that the
schema's grammar accepts exactly the documents labelled valid.

The grammar accepts a documented canonical form of JSON (see JSONSchemaOptions): whitespace
only as json.dumps writes it in the three styles below, properties in schema order, no
properties beyond `properties` when `additionalProperties` is absent (labels use a copy of the
schema with `additionalProperties: false` there), integers without fraction, a conservative
e-mail shape. A mutated document that jsonschema accepts but that is outside that form is
dropped, never labelled; every document the grammar must reject is labelled by jsonschema.

Run from the repository root:
  ~/.cache/tern/venv-sdk/bin/python scripts/golden/make_grammar_golden.py
writes Tests/Fixtures/grammar/schema-cases.json.
"""
import copy
import datetime
import json
import os
import random
import re
import uuid

import jsonschema

OUT = os.path.join("Tests", "Fixtures", "grammar", "schema-cases.json")
STYLES = [dict(separators=(",", ":")), dict(separators=(", ", ": ")), dict(indent=2, separators=(",", ": "))]
ALPHABET = list("abcXYZ019 _-.,:{}[]\"\\/\n\t") + ["é", "日", "😀", "\u0001"]
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){1,4}")

PATTERNS = {
    "^[A-Z]{2}-\\d{3}$": lambda r: "".join(r.choice("ABCXYZ") for _ in range(2)) + "-" + "".join(r.choice("0123456789") for _ in range(3)),
    "ab+c": lambda r: rand_text(r, 0, 3) + "a" + "b" * r.randint(1, 4) + "c" + rand_text(r, 0, 3),
    "^(cat|dog)s?$": lambda r: r.choice(["cat", "dog"]) + r.choice(["", "s"]),
    "^[^\"]*\"[a-z]+\\.?$": lambda r: rand_text(r, 0, 3).replace('"', "") + '"' + "xyz"[: r.randint(1, 3)] + r.choice(["", "."]),
}

SCHEMAS = [
    ("person", {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 12},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "email": {"type": "string", "format": "email"}},
        "required": ["name", "age"], "additionalProperties": False}),
    ("nullable-string", {"type": ["string", "null"], "maxLength": 6}),
    ("scalars", {"type": "object", "properties": {
        "n": {"type": "null"}, "b": {"type": "boolean"}, "x": {"type": "number"},
        "i": {"type": "integer"}, "s": {"type": "string"}}, "required": ["b", "i"]}),
    ("enum", {"enum": ["red", "green", "blue", 1, None, [1, "a"]]}),
    ("const-object", {"const": {"a": [1, 2], "b": "x\"y"}}),
    ("int-array", {"type": "array", "items": {"type": "integer", "minimum": -5, "maximum": 40}, "minItems": 1, "maxItems": 4}),
    ("tuple", {"type": "array", "prefixItems": [{"type": "string", "maxLength": 3}, {"type": "integer"}, {"type": "boolean"}],
               "items": False, "minItems": 2}),
    ("tuple-tail", {"type": "array", "prefixItems": [{"const": "head"}], "items": {"type": "number"},
                    "minItems": 2, "maxItems": 5}),
    ("anyof", {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "integer", "minimum": 10}]}),
    ("oneof-tagged", {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind", "x"], "additionalProperties": False},
        {"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "string", "maxLength": 4}}, "required": ["kind"], "additionalProperties": False}]}),
    ("tree", {"$defs": {"node": {"type": "object", "properties": {
        "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
        "required": ["value"], "additionalProperties": False}}, "$ref": "#/$defs/node"}),
    ("linked-list", {"type": "object", "properties": {"v": {"type": "integer", "minimum": 0, "maximum": 9},
                                                      "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}},
                     "required": ["v", "next"], "additionalProperties": False}),
    ("pattern-anchored", {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"}),
    ("pattern-search", {"type": "string", "pattern": "ab+c"}),
    ("pattern-groups", {"type": "object", "properties": {"pet": {"type": "string", "pattern": "^(cat|dog)s?$"},
                                                         "quote": {"type": "string", "pattern": "^[^\"]*\"[a-z]+\\.?$"}},
                        "required": ["pet", "quote"], "additionalProperties": False}),
    ("formats", {"type": "object", "properties": {
        "d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "time"},
        "dt": {"type": "string", "format": "date-time"}, "u": {"type": "string", "format": "uuid"},
        "e": {"type": "string", "format": "email"}}, "required": ["d", "t", "dt", "u"], "additionalProperties": False}),
    ("int-ranges", {"type": "object", "properties": {
        "a": {"type": "integer", "minimum": -50, "maximum": 1234}, "b": {"type": "integer", "exclusiveMinimum": 0},
        "c": {"type": "integer", "maximum": -7}, "d": {"type": "integer", "minimum": 100},
        "e": {"type": "integer", "minimum": 999, "exclusiveMaximum": 1001}},
        "required": ["a", "b", "c", "d", "e"], "additionalProperties": False}),
    ("additional-schema", {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"],
                           "additionalProperties": {"type": "string", "maxLength": 3}}),
    ("additional-true", {"type": "object", "properties": {"id": {"type": "integer"}}, "additionalProperties": True}),
    ("optional-mix", {"type": "object", "properties": {
        "o1": {"type": "boolean"}, "r1": {"type": "integer"}, "o2": {"type": "string", "maxLength": 2},
        "o3": {"type": "null"}, "r2": {"type": "boolean"}, "o4": {"type": "integer"}}, "required": ["r1", "r2"]}),
    ("string-length", {"type": "string", "minLength": 2, "maxLength": 4}),
    ("enum-array", {"type": "array", "items": {"enum": ["x", "y", "z"]}, "maxItems": 3}),
    ("pydantic", {"title": "Order", "description": "An order", "$defs": {
        "Item": {"title": "Item", "type": "object", "properties": {"sku": {"type": "string", "title": "Sku", "maxLength": 8},
                                                                   "qty": {"type": "integer", "minimum": 1, "maximum": 99, "default": 1}},
                 "required": ["sku"]}},
        "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "maxItems": 3},
                                         "note": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}], "default": None},
                                         "main": {"allOf": [{"$ref": "#/$defs/Item"}], "description": "main item"}},
        "required": ["items", "main"]}),
    ("any", {}),
    ("multi-type", {"type": ["integer", "boolean", "array"], "items": {"type": "integer"}, "maxItems": 2}),
    ("number", {"type": "number"}),
]


def rand_text(r, lo, hi):
    return "".join(r.choice(ALPHABET) for _ in range(r.randint(lo, hi)))


def resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#").split("/"):
            if part:
                target = target[part]
        schema = target
    if isinstance(schema, dict) and "allOf" in schema:
        return resolve(schema["allOf"][0], root)
    return schema


def gen_string(r, s):
    fmt = s.get("format")
    if fmt == "date":
        return (datetime.date(2000, 1, 1) + datetime.timedelta(days=r.randint(-700000, 40000))).isoformat()
    if fmt == "time":
        return "%02d:%02d:%02d%s%s" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
                                         r.choice(["", ".5", ".123456"]), r.choice(["Z", "+05:30", "-11:00"]))
    if fmt == "date-time":
        return gen_string(r, {"format": "date"}) + "T" + gen_string(r, {"format": "time"})
    if fmt == "uuid":
        return str(uuid.UUID(int=r.getrandbits(128)))
    if fmt == "email":
        return rand_word(r) + r.choice(["", ".", "+"]) + rand_word(r) + "@" + rand_word(r) + "." + r.choice(["com", "org", "co.uk"])
    if "pattern" in s:
        return PATTERNS[s["pattern"]](r)
    lo, hi = s.get("minLength", 0), s.get("maxLength", 8)
    return rand_text(r, lo, min(hi, lo + 8))


def rand_word(r):
    return "".join(r.choice("abcdefxyz019") for _ in range(r.randint(1, 6)))


def gen(r, s, root, depth=0):
    s = resolve(s, root)
    if s is True or s == {} or (isinstance(s, dict) and not set(s) - {"title", "description", "default", "$defs"}):
        return gen(r, {"type": r.choice(["null", "boolean", "integer", "string", "object", "array", "number"])}, root, depth + 2) \
            if depth < 4 else r.randint(0, 9)
    if "const" in s:
        return copy.deepcopy(s["const"])
    if "enum" in s:
        return copy.deepcopy(r.choice(s["enum"]))
    for k in ("anyOf", "oneOf"):
        if k in s:
            return gen(r, r.choice(s[k]), root, depth + 1)
    t = s.get("type", "object")
    if isinstance(t, list):
        t = r.choice(t)
    if t == "null":
        return None
    if t == "boolean":
        return r.random() < 0.5
    if t == "integer":
        lo = s.get("minimum", s.get("exclusiveMinimum", -10**6 - 1) + 1)
        hi = s.get("maximum", s.get("exclusiveMaximum", 10**6 + 1) - 1)
        return r.choice([lo, hi, r.randint(lo, hi), r.randint(lo, min(hi, lo + 20))])
    if t == "number":
        return r.choice([0, -3, 1.5, -0.25, 123456.75, 1e-5, 2.5e20, r.uniform(-1000, 1000)])
    if t == "string":
        return gen_string(r, s)
    if t == "array":
        return gen_array(r, s, root, depth)
    return gen_object(r, s, root, depth)


def gen_array(r, s, root, depth):
    prefix = s.get("prefixItems", [])
    items = s.get("items", True)
    hi = s.get("maxItems", 4 if depth < 3 else 1)
    if items is False:
        hi = min(hi, len(prefix))
    n = r.randint(s.get("minItems", 0), max(s.get("minItems", 0), hi))
    return [gen(r, prefix[i] if i < len(prefix) else items, root, depth + 1) for i in range(n)]


def gen_object(r, s, root, depth):
    out = {}
    required = s.get("required", [])
    for name, sub in s.get("properties", {}).items():
        if name in required or (depth < 4 and r.random() < 0.6):
            out[name] = gen(r, sub, root, depth + 1)
    extra = s.get("additionalProperties")
    if extra not in (None, False) and r.random() < 0.5:
        out["k" + rand_word(r)] = gen(r, True if extra is True else extra, root, depth + 1)
    return out


def mutate_value(r, v):
    """A random edit somewhere in the value."""
    if isinstance(v, (dict, list)) and v and r.random() < 0.6:
        key = r.choice(list(v)) if isinstance(v, dict) else r.randrange(len(v))
        op = r.randint(0, 3)
        if op == 0:
            del v[key]
        elif op == 1 and isinstance(v, dict):
            v["extra"] = 1
        elif op == 1:
            v.append(copy.deepcopy(v[key]))
        else:
            v[key] = mutate_value(r, v[key])
        return v
    return r.choice([None, True, 0, -1, 7, 151, 10**7, 2.5, "", "x", "toolongstring!", "AB-12", "abbc",
                     "2024-02-30", "2024-02-29", "1900-02-29", "25:00:00Z", "a@b", [], {}, [1], {"a": 1},
                     (v + "z") if isinstance(v, str) else 0, (v[:-1]) if isinstance(v, str) else 1,
                     (v + 1) if isinstance(v, int) and not isinstance(v, bool) else 2])


def mutate_text(r, text):
    i = r.randrange(len(text) + 1)
    op = r.randint(0, 3)
    if op == 0 and text:
        return text[:max(i, 1) - 1] + text[max(i, 1):]
    if op == 1:
        return text[:i] + r.choice(ALPHABET + list("0123456789aeT")) + text[i:]
    if op == 2 and text:
        j = min(i, len(text) - 1)
        return text[:j] + r.choice(ALPHABET + list("0123456789")) + text[j + 1:]
    return text[:r.randint(0, max(len(text) - 1, 0))]  # a proper prefix


def strict(schema):
    """additionalProperties: false wherever an object schema leaves it out (the grammar's default)."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (strict(v) if k not in ("const", "enum", "default") else v) for k, v in schema.items()}
    if k_props(out) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if "properties" in out:
        out["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
    return out


def k_props(s):
    return "properties" in s


def in_canonical_form(doc, s, root):
    """Property order as the schema lists them (extras after), integers written as integers,
    e-mails in the supported shape; for anyOf/oneOf, some valid branch in canonical form."""
    s = resolve(s, root)
    if not isinstance(s, dict):
        return True
    for k in ("anyOf", "oneOf"):
        if k in s:
            return any(valid(doc, b, root) and in_canonical_form(doc, b, root) for b in s[k])
    if isinstance(doc, float) and s.get("type") in ("integer", ["integer", "boolean", "array"]):
        return False
    if isinstance(doc, str) and s.get("format") == "email" and not EMAIL.fullmatch(doc):
        return False
    if isinstance(doc, dict) and isinstance(s.get("properties"), dict):
        props = list(s["properties"])
        ranks = [props.index(k) if k in props else len(props) for k in doc]
        if ranks != sorted(ranks):
            return False
        extra = s.get("additionalProperties", True)
        return all(in_canonical_form(v, s["properties"].get(k, extra), root) for k, v in doc.items())
    if isinstance(doc, list):
        prefix = s.get("prefixItems", [])
        return all(in_canonical_form(v, prefix[i] if i < len(prefix) else s.get("items", True), root) for i, v in enumerate(doc))
    return True


def valid(doc, s, root):
    sub = dict(s) if isinstance(s, dict) else s
    if isinstance(sub, dict) and "$defs" in root:
        sub["$defs"] = root["$defs"]
    if isinstance(sub, dict) and "$ref" in sub and sub["$ref"] == "#":
        sub = root
    try:
        jsonschema.Draft202012Validator(sub, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)
        return True
    except jsonschema.ValidationError:
        return False


def label(text, style, schema):
    """True/False, or None for a text jsonschema accepts but outside the canonical form."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if json.dumps(doc, ensure_ascii=False, **style) != text:
        return False if not valid(doc, strict(schema), strict(schema)) else None
    if not valid(doc, strict(schema), strict(schema)):
        return False
    return True if in_canonical_form(doc, schema, schema) else None


def cases_for(r, schema, count):
    cases, seen = [], set()
    tries = 0
    while len(cases) < count and tries < count * 40:
        tries += 1
        style = r.choice(STYLES)
        doc = gen(r, schema, schema)
        kind = r.random()
        if kind < 0.45:
            text = json.dumps(doc, ensure_ascii=False, **style)
        elif kind < 0.75:
            text = json.dumps(mutate_value(r, copy.deepcopy(doc)), ensure_ascii=False, **style)
        else:
            text = mutate_text(r, json.dumps(doc, ensure_ascii=False, **style))
        if text in seen or len(text) > 400:
            continue
        v = label(text, style, schema)
        if v is None:
            continue
        seen.add(text)
        cases.append({"text": text, "valid": v})
    return cases


def main():
    r = random.Random(13)
    out = []
    for name, schema in SCHEMAS:
        cases = cases_for(r, schema, 60)
        out.append({"name": name, "schema": schema, "cases": cases})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"schemas": out}, f, ensure_ascii=False, separators=(",", ":"))
    total = sum(len(s["cases"]) for s in out)
    valid_count = sum(c["valid"] for s in out for c in s["cases"])
    print(f"{len(out)} schemas, {total} cases ({valid_count} valid), {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
