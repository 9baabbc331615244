"""Reading jobs on SQLite: one job, a filtered page of jobs, a job's events, counts per
queue and state, the figures behind /metrics, and what was learned about each task. Reads
take no lock: WAL lets them run beside a writer."""

from __future__ import annotations

import json

from cargohold.errors import JobNotFoundError
from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import Event, JobFilter, JobMetrics, JobRecord, QueueCounts, TaskStats
from cargohold.states import JobState
from cargohold.store import metrics, rowmaps
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql


class SQLiteReading(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def get_job(self, job_id: str) -> JobRecord | None:
        rows = self._read(_sql("get_job"), {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
        return rowmaps.job(rows[0]) if rows else None

    def _require_job(self, job_id: str) -> JobRecord:
        job = self.get_job(job_id)
        if job is None:
            raise JobNotFoundError(f"no job has id {job_id!r}")
        return job

    def find_jobs(self, query: JobFilter) -> list[JobRecord]:
        def as_json(values: tuple[str, ...]) -> str | None:
            return json.dumps([str(v) for v in values]) if values else None

        # One statement per order, so that each reads the id index in its order and stops
        # at the page (ordering by a parameter made it sort every job first).
        rows = self._read(
            _sql("find_jobs" if query.newest_first else "find_jobs_oldest"),
            {
                "states": as_json(query.states),
                "queues": as_json(query.queues),
                "tasks": as_json(query.tasks),
                "ids": as_json(query.ids),
                "key": query.key,
                "created_after": query.created_after,
                "created_before": query.created_before,
                "limit": query.limit,
                "offset": query.offset,
                "overhead": RUNNER_OVERHEAD,
            },
        )
        return [rowmaps.job(row) for row in rows]

    def job_events(self, job_id: str) -> list[Event]:
        rows = self._read(_sql("job_events"), {"job_id": job_id})
        return [rowmaps.event(row) for row in rows]

    def count_jobs(self) -> dict[str, QueueCounts]:
        counts: dict[str, QueueCounts] = {}
        for row in self._read(_sql("count_jobs")):
            counts.setdefault(row["queue"], QueueCounts()).by_state[JobState(row["state"])] = row[
                "n"
            ]
        return counts

    def job_metrics(self) -> JobMetrics:
        bounds = metrics.bound_params()
        events = self._read(_sql("metrics_events"), {"kinds": json.dumps(metrics.COUNTED_EVENTS)})
        return JobMetrics(
            durations=metrics.histograms(self._read(_sql("metrics_durations"), bounds)),
            waits=metrics.histograms(self._read(_sql("metrics_waits"), bounds)),
            retries=metrics.event_counts(events, "retrying"),
            memory_kills=metrics.event_counts(events, "memory_killed"),
        )

    def task_stats(self) -> list[TaskStats]:
        return [
            TaskStats(
                task=row["task"],
                peaks=tuple(json.loads(row["peaks"])),
                durations=tuple(json.loads(row["durations"])),
                learned_memory=row["learned_memory"],
            )
            for row in self._read(_sql("all_task_stats"))
        ]
