"""Reading jobs on PostgreSQL: one job, a filtered page of jobs, a job's events, counts per
queue and state, the figures behind /metrics, and what was learned about each task. Each
read is one short transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import Event, JobFilter, JobMetrics, JobRecord, QueueCounts, TaskStats
from cargohold.states import JobState
from cargohold.store import metrics, rowmaps
from cargohold.store.postgres import rows
from cargohold.store.postgres.database import Tx

if TYPE_CHECKING:
    from cargohold.store.postgres.database import Database


class PostgresReading:
    """Mixed into `PostgresStore`."""

    if TYPE_CHECKING:
        _database: Database

    def _read(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._database.transaction(lambda tx: tx.rows(name, params), what=name)

    def get_job(self, job_id: str) -> JobRecord | None:
        found = self._read("get_job", {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
        return rowmaps.job(found[0]) if found else None

    def find_jobs(self, query: JobFilter) -> list[JobRecord]:
        def listed(values: tuple[str, ...]) -> list[str] | None:
            return [str(value) for value in values] if values else None

        # One statement per order, so that each reads the id index in its order and stops
        # at the page (ordering by a parameter made it sort every job first).
        found = self._read(
            "find_jobs" if query.newest_first else "find_jobs_oldest",
            {
                "states": listed(query.states),
                "queues": listed(query.queues),
                "tasks": listed(query.tasks),
                "ids": listed(query.ids),
                "key": query.key,
                "created_after": query.created_after,
                "created_before": query.created_before,
                "limit": query.limit,
                "offset": query.offset,
                "overhead": RUNNER_OVERHEAD,
            },
        )
        return [rowmaps.job(row) for row in found]

    def job_events(self, job_id: str) -> list[Event]:
        return [rows.event(row) for row in self._read("job_events", {"job_id": job_id})]

    def count_jobs(self) -> dict[str, QueueCounts]:
        counts: dict[str, QueueCounts] = {}
        for row in self._read("count_jobs"):
            counts.setdefault(row["queue"], QueueCounts()).by_state[JobState(row["state"])] = row[
                "n"
            ]
        return counts

    def job_metrics(self) -> JobMetrics:
        params = {**metrics.bound_params(), "kinds": list(metrics.COUNTED_EVENTS)}

        def work(tx: Tx) -> JobMetrics:
            events = tx.rows("metrics_events", params)
            return JobMetrics(
                durations=metrics.histograms(tx.rows("metrics_durations", params)),
                waits=metrics.histograms(tx.rows("metrics_waits", params)),
                retries=metrics.event_counts(events, "retrying"),
                memory_kills=metrics.event_counts(events, "memory_killed"),
            )

        return self._database.transaction(work, what="job_metrics")

    def task_stats(self) -> list[TaskStats]:
        return [rows.task_stats(row) for row in self._read("all_task_stats")]
