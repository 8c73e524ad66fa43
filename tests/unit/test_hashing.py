"""Origin and target hashes: what counts as a change. Pure: no Airflow, no database."""

from __future__ import annotations

import hashlib

from openconnector.core.hashing import canonical_json, content_hash, fingerprint


def test_key_order_does_not_change_the_hash() -> None:
    assert content_hash({"a": 1, "b": {"x": 1, "y": [1, 2]}}) == content_hash({"b": {"y": [1, 2], "x": 1}, "a": 1})


def test_list_order_and_values_do_change_the_hash() -> None:
    base = {"tags": ["a", "b"], "n": 1}
    assert content_hash(base) != content_hash({"tags": ["b", "a"], "n": 1})
    assert content_hash(base) != content_hash({"tags": ["a", "b"], "n": "1"})  # a number is not a string
    assert content_hash(base) != content_hash({"tags": ["a", "b"], "n": 1.5})


def test_hash_is_sha256_of_compact_sorted_utf8_json() -> None:
    value = {"name": "Café", "id": 7}
    assert canonical_json(value) == '{"id":7,"name":"Café"}'.encode()
    assert content_hash(value) == hashlib.sha256('{"id":7,"name":"Café"}'.encode()).hexdigest()


def test_integers_beyond_64_bits_are_hashed_exactly() -> None:
    big = 123456789012345678901234567890
    assert canonical_json({"n": big}) == b'{"n":123456789012345678901234567890}'
    assert content_hash({"n": big}) != content_hash({"n": big + 1})


def test_fingerprint_tracks_every_part() -> None:
    assert fingerprint("mapping text", "jsonatapy") == fingerprint("mapping text", "jsonatapy")
    assert fingerprint("mapping text", "jsonatapy") != fingerprint("mapping text ", "jsonatapy")
    assert fingerprint("mapping text", "jsonatapy") != fingerprint("mapping text", "jsonata-python")
