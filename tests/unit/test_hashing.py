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


def test_checked_canonical_json_flags_integers_jsonata_would_round() -> None:
    from openconnector.core.hashing import canonical_json_checked

    assert canonical_json_checked({"b": 1, "a": 2**53 - 1}) == (b'{"a":9007199254740991,"b":1}', False)
    assert canonical_json_checked({"id": 2**53 + 1}) == (b'{"id":9007199254740993}', True)
    assert canonical_json_checked({"big": 10**30})[1] is True


def test_derived_target_ids_are_version_5_uuids_of_synchronization_and_origin() -> None:
    import uuid

    from openconnector.targets.base import TARGET_ID_NAMESPACE, derived_target_id

    for origin in ("1", "cmp-000042", "ümlaut id\twith tab"):
        assert derived_target_id("sync", origin) == str(uuid.uuid5(TARGET_ID_NAMESPACE, f"sync\n{origin}"))
    assert derived_target_id("a", "1") != derived_target_id("b", "1")
