"""COPY text encoding: every value must survive the trip into Postgres unchanged."""

from __future__ import annotations

from openconnector.db import copyfmt


def test_text_fields_escape_copy_specials() -> None:
    assert copyfmt.text_field("a\tb\nc\\d\re") == b"a\\tb\\nc\\\\d\\re"
    assert copyfmt.text_field(None) == b"\\N"
    assert copyfmt.text_field("\\N") == b"\\\\N"  # a literal backslash-N is not NULL
    # each special alone is found too (the check looks for each one separately)
    assert [copyfmt.text_field(f"id{c}x") for c in "\t\n\r\\"] == [b"id\\tx", b"id\\nx", b"id\\rx", b"id\\\\x"]
    assert copyfmt.text_field("plain-id-é") == "plain-id-é".encode()


def test_json_fields_double_backslashes_only() -> None:
    assert copyfmt.json_field(b'{"a":"x\\"y\\\\z\\n"}') == b'{"a":"x\\\\"y\\\\\\\\z\\\\n"}'
    assert copyfmt.row(b"1", b"x") == b"1\tx\n"
