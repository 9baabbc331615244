import itertools

from cargohold.ids import new_job_id


def test_job_ids_sort_by_creation_and_differ_in_their_random_part() -> None:
    ids = [new_job_id(1_800_000_000.0) for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == 1000
    # Neighbours made in the same millisecond still differ in many characters.
    assert all(
        sum(a != b for a, b in zip(x, y, strict=True)) >= 8 for x, y in itertools.pairwise(ids)
    )
