import pytest

from cargohold.errors import PayloadError, PayloadTooLargeError
from cargohold.payload import decode_arguments, encode_arguments, encode_result


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
