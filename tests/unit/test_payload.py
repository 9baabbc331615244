import json

import pytest

from cargohold.errors import PayloadError, PayloadTooLargeError
from cargohold.payload import decode_arguments, encode_arguments, encode_result, storable_text


def test_round_trip() -> None:
    text = encode_arguments("t", (1, "é", [None]), {"k": {"x": 1.5}}, 1000)
    assert decode_arguments(text) == ([1, "é", [None]], {"k": {"x": 1.5}})


@pytest.mark.parametrize("bad", [object(), {1, 2}, b"bytes", float("nan")])
def test_non_json_arguments_are_refused_with_advice(bad: object) -> None:
    with pytest.raises(PayloadError, match=r"not JSON.*pass strings, numbers"):
        encode_arguments("render", (bad,), {}, 1000)


def test_payload_one_byte_over_the_limit_is_refused() -> None:
    exact = encode_arguments("t", ("x" * 10,), {}, 10_000)
    limit = len(exact.encode())
    assert encode_arguments("t", ("x" * 10,), {}, limit) == exact
    with pytest.raises(PayloadTooLargeError, match="payload limit"):
        encode_arguments("t", ("x" * 11,), {}, limit)


@pytest.mark.parametrize(
    "stored",
    ["{not json", "[1, 2]", '{"args": 1, "kwargs": {}}', '{"args": [], "kwargs": {}, "extra": 1}'],
)
def test_damaged_stored_arguments(stored: str) -> None:
    with pytest.raises(PayloadError):
        decode_arguments(stored)


def test_non_json_result_is_refused() -> None:
    with pytest.raises(PayloadError, match="returned a value that is not JSON"):
        encode_result("t", object())


def test_the_limit_counts_bytes_not_characters() -> None:
    exact = encode_arguments("t", ("é" * 10,), {}, 10_000)
    limit = len(exact.encode())
    assert limit == len(exact) + 10  # each é takes two bytes
    assert encode_arguments("t", ("é" * 10,), {}, limit) == exact
    with pytest.raises(PayloadTooLargeError, match="payload limit"):
        encode_arguments("t", ("é" * 10 + "x",), {}, limit)


def test_arguments_with_a_lone_surrogate_are_refused_before_reaching_a_store() -> None:
    name = b"caf\xe9.txt".decode("utf-8", errors="surrogateescape")  # an undecodable file name
    with pytest.raises(PayloadError, match="not valid Unicode"):
        encode_arguments("index", (name,), {}, 1000)


def test_a_result_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(PayloadError, match="task 'index' returned a string that is not valid"):
        encode_result("index", {"name": "caf\udce9.txt"})


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("plain", "plain"),
        ("café ☕", "café ☕"),
        ("nul\x00here", "nul\\x00here"),
        ("caf\udce9", "caf\\udce9"),
        ("both\x00\ud800", "both\\x00\\ud800"),
    ],
)
def test_free_text_is_made_storable(text: str, stored: str) -> None:
    assert storable_text(text) == stored
    stored.encode("utf-8")  # any store can hold it


def test_arguments_that_contain_themselves_are_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(PayloadError, match="nest too deeply or contain themselves"):
        encode_arguments("t", (loop,), {}, 1000)
    with pytest.raises(PayloadError, match="returned a value that nests too deeply"):
        encode_result("t", {"self": loop})


@pytest.mark.parametrize(
    "value",
    [
        'text with "quotes", \\ and \n',
        "é ☕ \u2028",
        [1, -2.5, 1e300, True, None, {"nested": [{}]}],
        {"b": 1, "a": 2},
        0,
    ],
)
def test_payloads_are_written_as_compact_json(value: object) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert encode_result("t", value) == expected
    assert encode_arguments("t", (value,), {"k": value}, 10_000) == (
        f'{{"args":[{expected}],"kwargs":{{"k":{expected}}}}}'
    )
