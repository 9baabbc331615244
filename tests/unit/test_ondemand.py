import pytest

from cargohold.ondemand import JobsOnDemand
from cargohold.records import NewJob


def on_demand(calls: list[str]) -> tuple[JobsOnDemand, list[str]]:
    made: list[str] = []

    def make(call: str) -> NewJob:
        made.append(call)
        return NewJob(id=f"id-{call}", task="t", queue="default", args=call)

    return JobsOnDemand(calls, make), made


def test_jobs_are_made_in_order_when_first_read_and_kept() -> None:
    jobs, made = on_demand(["a", "b", "c", "d"])
    assert len(jobs) == 4 and made == []
    assert jobs[1].id == "id-b" and made == ["a", "b"]
    assert [job.args for job in jobs[:3]] == ["a", "b", "c"] and made == ["a", "b", "c"]
    assert [job.id for job in jobs] == ["id-a", "id-b", "id-c", "id-d"]
    assert [job.id for job in jobs] == ["id-a", "id-b", "id-c", "id-d"]
    assert made == ["a", "b", "c", "d"]  # read twice, made once


def test_indexes_and_slices_behave_as_a_list() -> None:
    jobs, _ = on_demand(["a", "b", "c"])
    assert jobs[-1].args == "c" and [job.args for job in jobs[::-1]] == ["c", "b", "a"]
    assert [job.args for job in jobs[1:10]] == ["b", "c"]
    with pytest.raises(IndexError):
        jobs[3]


def test_an_error_making_a_job_surfaces_when_it_is_read() -> None:
    def make(call: str) -> NewJob:
        if call == "bad":
            raise ValueError("not JSON")
        return NewJob(id=call, task="t", queue="default", args=call)

    jobs = JobsOnDemand(["a", "bad"], make)
    assert jobs[0].id == "a"
    with pytest.raises(ValueError, match="not JSON"):
        list(jobs)
