"""Hypothesis strategies for hostile form input (tests/test_hostile_input.py).

A payload is the list of (key, value) pairs a browser would post: each field of the
valid form is kept, replaced by a hostile value, dropped or sent twice, and keys the
form does not expect may be added."""
from __future__ import annotations

import re

from hypothesis import strategies as st

# Planted in the input; must never come back unescaped in HTML.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(1)>"
JS_URL = "javascript:alert(1)"
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>")

MARKUP = [SCRIPT, IMG, SVG, JS_URL, "</textarea><script>alert(1)</script>",
          "{{ 7*7 }}{% raw %}", "${7*7}", "%s%n%x", "&lt;b&gt;", "<!--"]
SQL = ["' OR 1=1 --", "1; DROP TABLE user", "'; DELETE FROM client; --",
       '" OR ""="', "%", "_", "\\", "1' UNION SELECT password_hash FROM \"user\" --"]
NUMBERS = ["0", "-1", "1.5", "1e308", "NaN", "Infinity", "-0", "0x10", " 12 ", "+7", "1_000",
           "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809",
           "99999999999999999999999999", "9" * 5000,
           # str.isdigit() is true for these, int() refuses the first two
           "²", "¹²", "１２", "٣"]
DATES = ["0000-00-00", "9999-12-31", "2026-02-30", "2026-02-29", "2026-13-01", "0001-01-01",
         "10000-01-01", "31.12.2026", "2026-1-1", "1970-01-01", "-2026-01-01", "2026-W05"]
TIMES = ["24:00", "23:59:60", "99:99", "00:00", "-01:00", "9", "09:00:00.000001", "noon"]
EMPTY = ["", " ", "\t\n", "\u00a0"]
UNICODE = ["\u202eevil\u202c", "\u200f\u05e9\u05dc\u05d5\u05dd", "🦄👨‍👩‍👧", "e\u0301\u0301\u0301\u0301",
           "\u200b", "\ufeffBOM", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "İı", "Ääkkönen Åsa", "ﬁ", "\U0010fffd"]
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]

# Field names a form may not expect (taken from the app's forms and query strings).
EXTRA_KEYS = ["id", "user_id", "organisation_id", "team_id", "request_id", "client_id",
              "state", "role", "roles", "next", "action", "revision", "version", "is_admin",
              "password_hash", "csrf_token"]


def _repeat(base: str, size: int) -> str:
    return (base * (size // max(len(base), 1) + 1))[:size]


long_text = st.builds(_repeat, st.sampled_from(["x", "ä", "9", "<script>", "' OR 1=1 --",
                                                "\x00", "🦄", "a b\n"]),
                      st.integers(10_000, 100_000))

control_text = st.lists(
    st.one_of(st.sampled_from(CONTROL), st.sampled_from(["a", "Ö", " ", "1"])),
    min_size=1, max_size=12).map("".join)

# Anything werkzeug can send: lone surrogates cannot be encoded in a form post.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def ids_strategy(ids: list[int]):
    """Ids of other rows (another organisation's among them, and the world's own),
    bare and in the "team-<id>" / "u-<id>" forms some fields take, and a few that are
    no id at all."""
    ids = [str(i) for i in sorted(set(ids)) or [1]]
    odd = ["-1", "0", "2147483648", "9223372036854775808", "²", "１", "1.0", " 1", "1e3"]
    some = st.one_of(st.sampled_from(ids), st.sampled_from(odd))
    prefixed = st.tuples(st.sampled_from(["team-", "physician-", "u-", "o-", "g-"]), some)
    return st.one_of(some, prefixed.map("".join))


def hostile_value(ids: list[int]):
    return st.one_of(
        st.sampled_from(MARKUP + SQL),
        st.sampled_from(NUMBERS),
        st.sampled_from(DATES + TIMES),
        st.sampled_from(EMPTY + UNICODE),
        ids_strategy(ids),
        long_text,
        control_text,
        any_text,
        # the planted markers inside ordinary text, where filters may not look
        st.tuples(any_text, st.sampled_from(MARKUP), any_text).map("".join),
    )


DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
TIME_RE = re.compile(r"^\d{2}:\d{2}$")
NUMERIC_NAMES = re.compile(r"(^|_)(id|ids|page|item|team|version|revision|minutes|score|"
                           r"weekday|nth|slots)$")


def value_for(name: str, valid: list[str], ids: list[int]):
    """A hostile value for this field: anything, and more often what breaks its kind
    (numbers and ids where a number is expected, impossible dates where a date is)."""
    anything = hostile_value(ids)
    sample = valid[0] if valid else ""
    if sample.isdigit() or sample.startswith(("u-", "o-", "team-")) or NUMERIC_NAMES.search(name):
        return st.one_of(anything, st.sampled_from(NUMBERS), ids_strategy(ids))
    if DATE_RE.match(sample):
        return st.one_of(anything, st.sampled_from(DATES))
    if TIME_RE.match(sample):
        return st.one_of(anything, st.sampled_from(TIMES))
    return anything


def payloads(form: dict, fields: list[str], ids: list[int]):
    """(key, value) pairs: the valid form with each field kept, replaced, dropped or
    duplicated, plus perhaps keys the form does not expect. csrf_token is not here.

    Each field's strategy is built once, here, not for every example: building them
    anew took a quarter of the fuzzing's time. The draws are the same."""
    ids = sorted(set(ids))
    valid_values = {}
    for name in fields:
        valid = form.get(name)
        valid = [] if valid is None else valid if isinstance(valid, list) else [valid]
        valid_values[name] = [str(v) for v in valid]
    values = {name: value_for(name, valid_values[name], ids) for name in fields}
    extra_values = {name: value_for(name, [], ids) for name in dict.fromkeys(EXTRA_KEYS + fields)}
    return _payloads(fields, valid_values, values, extra_values)


@st.composite
def _payloads(draw, fields: list[str], valid_values: dict, values: dict, extra_values: dict):
    pairs: list[tuple[str, str]] = []
    for name in fields:
        valid, value = valid_values[name], values[name]
        act = draw(st.sampled_from(["keep", "keep", "replace", "replace", "drop", "duplicate"]))
        if act == "keep":
            pairs += [(name, v) for v in valid]
        elif act == "replace":
            pairs.append((name, draw(value)))
        elif act == "duplicate":
            first = valid[0] if valid and draw(st.booleans()) else draw(value)
            pairs += [(name, first), (name, draw(value))]
    for name in draw(st.lists(st.sampled_from(EXTRA_KEYS + fields), max_size=3)):
        pairs.append((name, draw(extra_values[name])))
    return draw(st.permutations(pairs)) if len(pairs) < 12 else pairs
