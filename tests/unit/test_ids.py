import itertools
import os

from cargohold.ids import new_job_id, new_job_ids


def test_job_ids_sort_by_creation_and_differ_in_their_random_part() -> None:
    ids = [new_job_id(1_800_000_000.0) for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == 1000
    # Neighbours made in the same millisecond still differ in many characters.
    assert all(
        sum(a != b for a, b in zip(x, y, strict=True)) >= 8 for x, y in itertools.pairwise(ids)
    )


def test_a_job_id_is_its_time_sequence_and_random_bits_in_crockford_base32() -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    job_id = new_job_id(4_000_000_000.5)  # later than any id made before: its own millisecond
    value = 0
    for digit in job_id:
        value = value * 32 + alphabet.index(digit)
    assert len(job_id) == 26 and value >> 128 == 0
    assert value >> 80 == 4_000_000_000_500


def test_a_forked_child_does_not_reuse_its_parents_random_bits() -> None:
    new_job_id()  # the parent has random bytes in hand
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the random part of its next id
        os.write(writer, new_job_id()[-13:].encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(reader, 64).decode()
    os.close(reader)
    os.close(writer)
    assert child != new_job_id()[-13:]


def _value(job_id: str) -> int:
    value = 0
    for digit in job_id:
        value = value * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(digit)
    return value


def test_the_ids_of_a_batch_sort_after_earlier_ids_and_before_later_ones() -> None:
    before = new_job_id(1_800_000_000.0)
    batch = list(new_job_ids(1_500, 1_800_000_000.0))  # more than one block of random bytes
    after = new_job_id(1_800_000_000.0)
    assert len(batch) == 1_500 and len(set(batch)) == 1_500
    assert [before, *batch, after] == sorted([before, *batch, after])
    assert all(
        sum(a != b for a, b in zip(x, y, strict=True)) >= 8 for x, y in itertools.pairwise(batch)
    )


def test_more_ids_than_a_millisecond_holds_borrow_the_next_one() -> None:
    millis = 5_000_000_000_000  # later than any id made before
    batch = list(new_job_ids(70_000, millis / 1000))
    stamps = [_value(job_id) >> 64 for job_id in batch]
    assert stamps[0] == millis << 16
    assert stamps == list(range(stamps[0], stamps[0] + 70_000))
    assert _value(batch[-1]) >> 80 == millis + 1
