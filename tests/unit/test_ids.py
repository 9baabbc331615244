import itertools
import os

from cargohold.ids import new_job_id


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
