"""The claim's walk down the line (store/fitting.py): one pass takes what repeated "first job
in line that fits" takes, as `Store.claim` documents it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cargohold.memory.admission import MemoryOffer
from cargohold.store.fitting import InLine, choose

MIB = 1024 * 1024


def ids(line: tuple[InLine, ...]) -> list[str]:
    return [job.id for job in line]


def test_a_smaller_job_passes_a_larger_one_that_does_not_fit() -> None:
    line = [InLine("big", 300 * MIB), InLine("a", 40 * MIB), InLine("b", 40 * MIB)]
    choice = choose(line, 5, MemoryOffer(free=100 * MIB, unknown_need=100 * MIB))
    assert ids(choice.taken) == ["a", "b"]
    assert choice.rest.free == 20 * MIB


def test_a_job_of_unknown_need_is_taken_only_first_and_then_alone() -> None:
    offer = MemoryOffer(free=400 * MIB, unknown_need=400 * MIB)
    first = choose([InLine("new", None), InLine("known", 10 * MIB)], 5, offer)
    assert ids(first.taken) == ["new"]
    later = choose([InLine("known", 10 * MIB), InLine("new", None)], 5, offer)
    assert ids(later.taken) == ["known"]


def test_the_claim_limit_and_the_limits_slots_are_respected() -> None:
    offer = MemoryOffer(free=1 << 40, unknown_need=1)
    api = ("api", "")
    line = [InLine(f"j{n}", 1, (api,)) for n in range(5)] + [InLine("free", 1)]
    choice = choose(line, 3, offer, capacities={"api": 2}, held={api: 1})
    assert ids(choice.taken) == ["j0", "free"]
    assert ids(choose(line, 3, offer).taken) == ["free"]  # a limit the worker does not know


jobs = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(1, 100)), st.booleans()), max_size=12
).map(
    lambda specs: [
        InLine(f"j{n}", need, ((("l", ""),) if lim else ())) for n, (need, lim) in enumerate(specs)
    ]
)


@given(
    jobs,
    st.integers(0, 8),
    st.integers(0, 300),
    st.integers(0, 300),
    st.integers(0, 3),
    st.integers(0, 3),
)
def test_one_walk_takes_what_first_fit_one_by_one_takes(
    line: list[InLine], limit: int, free: int, unknown: int, capacity: int, held: int
) -> None:
    offer = MemoryOffer(free=free, unknown_need=unknown)
    choice = choose(line, limit, offer, {"l": capacity}, {("l", ""): held})
    assert ids(choice.taken) == _one_by_one(line, limit, offer, capacity, held)


def _one_by_one(
    line: list[InLine], limit: int, offer: MemoryOffer, capacity: int, held: int
) -> list[str]:
    """The rule as the store once ran it: one claim at a time, each the first job in line
    that fits what is left."""
    left, free, unknown, taken = list(line), offer.free, offer.unknown_need, []
    while len(taken) < limit and free > 0:
        fits = [
            job
            for job in left
            if (unknown if job.need is None else job.need) <= free
            and (not job.limits or held < capacity)
        ]
        if not fits:
            break
        job = fits[0]
        left.remove(job)
        taken.append(job.id)
        held += bool(job.limits)
        free -= unknown if job.need is None else job.need
        unknown = free + 1
    return taken
