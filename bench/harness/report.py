"""docs/benchmarks.md, rendered from the JSON of one run."""

from __future__ import annotations

from typing import Any

from bench.harness import burst, goals
from bench.harness.metrics import Metric, best_peer, measured, metrics, summaries

METHOD = """\
## Method

Every system runs the same two tasks, written in its own way: `noop()`, which does nothing,
and `stamp(enqueued_at)`, which appends the time it was enqueued and the time it started to a
ledger file (one `O_APPEND` write). Producers are the systems' ordinary synchronous client
calls, from one process; workers are started with the command shown under "Systems" and
stopped with SIGTERM (then SIGKILL of their whole process tree). Each repetition starts from an
empty store: a new SQLite file, a new schema in a scratch PostgreSQL database, or a flushed
Redis database number of the benchmark's own.

- **Single enqueue**: N no-op jobs, one call each, timed in the producer, no worker running.
- **Bulk enqueue**: N no-op jobs in one call of the system's bulk API (systems without one
  have no figure).
- The two enqueue measurements are repeated in passes of their own, after the other
  repetitions: each pass measures every system in turn (every other pass in the reverse
  order), so the systems compared are measured within a minute of each other. A durable
  enqueue waits for a disk flush, whose time drifts over a run by more than the ratios
  compared.
- **Drain**: N jobs enqueued one call at a time, then the workers are started; the store or
  broker is read every 10 ms, and the rate is the jobs finished between the first read that
  shows progress and the read that shows none left (so start-up time is not counted); a
  drain still going after 30 s is stopped there and rated over the jobs done by then. What
  "finished" means is each system's own: cargohold, Procrastinate and RQ record completion;
  Dramatiq acks a message after running it; PgQueuer deletes a row when its job completes;
  Celery (acks on start, its default) and huey (deletes a task from its queue when it picks
  it up, at-most-once) count a job as done once a worker has taken it.
- **Idle latency**: one idle worker; a `stamp` job is enqueued, and the next one a random
  10-30 ms after it has started. Latency is the job's start time minus the time just before
  the enqueue call.
- **Idle worker memory**: after start-up and a few jobs, one second idle, the PSS (and RSS)
  of the worker's whole process tree summed from `/proc/PID/smaps_rollup`. PSS divides shared
  pages between the processes that share them, so forked workers are not counted twice. A
  worker that starts its processes when there is work for them (cargohold's runners) is
  first given two jobs that run together, so that it is measured with both started, as a
  peer's prefork pool is (the JSON keeps the count of processes measured).
- **Backlog scaling**: the queue is filled with B `stamp` jobs plus one sample for each
  repetition (through the bulk API, else one call at a time; a backlog that would take longer
  than the run's prefill budget to fill, at the enqueue rate measured earlier in the run, is
  left out with a note), the planner statistics are refreshed (`ANALYZE`) and, on
  PostgreSQL, the fill's pages are written out (`CHECKPOINT`: the write-back of a million
  jobs written in seconds would otherwise land in the samples that follow), then freshly
  started workers take a sample of jobs off the top of the backlog, so that at least B stay
  queued behind it; the claim rate is the jobs started per second in the ledger, leaving out
  the first 10 % of the sample (warm-up). The ratio compares the medians.
- **Memory burst**: a cgroup v1 memory group with a hard limit (the container) is created for
  the run; a process standing in for the web server takes its memory in it, then the
  system's worker is started in it with the system's own default settings and given one
  no-op job, so its start-up is not counted. The burst's jobs are then enqueued from outside
  the container, one call each. A job counts as completed when its task, having held its
  memory, has written its line to the ledger. OOM kills are the container's own count
  (`oom_kill` in its `memory.oom_control`), the peak its `memory.max_usage_in_bytes`.
  Makespan: from the first enqueue to the last completion. A run that cannot complete every
  job is stopped when no process of the worker is left in the container, when nothing is
  queued and nothing has been taken or completed for 10 s (the jobs not completed were lost),
  or at the timeout. The naive pool of 3 (a `ProcessPoolExecutor` with no admission, the way
  a hand-written queue runs jobs) is the reference.
"""


def render(document: dict[str, Any], *, chart_path: str) -> str:
    table = summaries(document)
    parts = [
        _header(document, chart_path),
        goals.render(table, document),
        _results(document, table),
        _burst(document),
        _systems(document),
        _machine(document),
        METHOD,
    ]
    return "\n".join(parts)


def _header(document: dict[str, Any], chart_path: str) -> str:
    plan = document["plan"]
    return f"""\
# Benchmarks

cargohold and its peers, measured in one run on one machine, with the same tasks and the same
method. Generated by the harness in `bench/` (see `bench/README.md`); do not edit by hand.

- Run: {document["started_at"]} to {document.get("finished_at", "?")} ({document["mode"]} mode)
- Command: `{document["command"]}`
- Sizes: {plan["jobs"]:,} jobs per enqueue and drain run, {plan["latency_jobs"]} latency jobs,
  backlogs of {" and ".join(f"{b:,}" for b in plan["backlogs"])} jobs with
  {plan["backlog_sample"]:,} claimed per run; every measurement repeated {plan["repeat"]}
  times, the enqueue measurements {plan.get("enqueue_passes", plan["repeat"])} times.
  Figures are medians, with min-max over the repetitions.
- "÷ best peer" divides a system's median by the best peer's median (cargohold excluded from
  the peers): above 1 is better for rates, below 1 is better for latency and memory.

![Benchmark chart]({chart_path})
"""


def _results(document: dict[str, Any], table: dict[str, Any]) -> str:
    lines = ["## Results", ""]
    for metric in metrics(document):
        rows = [(s, r[metric.key]) for s, r in table.items() if metric.key in r]
        if not rows:
            continue
        best = best_peer(table, metric)
        better = "higher" if metric.higher_is_better else "lower"
        lines += [f"### {metric.title} ({metric.unit}, {better} is better)", ""]
        if best is not None:
            lines += [f"Best peer: {best[0]}.", ""]
        lines += ["| system | median | min-max | ÷ best peer |", "| --- | ---: | ---: | ---: |"]
        for system, stats in sorted(rows, key=lambda r: _order(metric, r[1]["median"])):
            ratio = f"{stats['median'] / best[1]:.2f}" if best and best[1] else "-"
            name = f"**{system}**" if system.startswith("cargohold") else system
            span = f"{metric.format(stats['min'])}-{metric.format(stats['max'])}"
            lines.append(f"| {name} | {metric.format(stats['median'])} | {span} | {ratio} |")
        lines.append("")
    return "\n".join(lines)


def _burst(document: dict[str, Any]) -> str:
    lines = ["## Heavy jobs in a 512 MiB container", ""]
    plan = document["plan"].get("burst")
    section = document.get("memory_burst", {})
    if plan is None or section.get("skipped"):
        reason = section.get("skipped") or "not part of this run"
        return "\n".join([*lines, f"Not measured in this run: {reason}.", ""])
    lines += [
        f"{plan['jobs']} jobs that each use {plan['mib']} MiB and hold it for {plan['hold']:g} s, "
        f"sent at once to a worker in a {plan['limit_mib']} MiB container beside a "
        f"{plan['web_mib']} MiB process standing in for the web server; each worker with its "
        "system's own defaults (commands below the table), once per system. A run that cannot "
        f"complete every job is stopped after {plan['timeout']:g} s at most (see Method).",
        "",
        *burst.table(burst.rows_of(document)),
        "",
    ]
    for system, entry in document["systems"].items():
        for row in entry.get("raw", {}).get("memory_burst", []):
            lines.append(f"- {system}: `{_command(row['worker_command'])}`")
    lines.append("")
    return "\n".join(lines)


def _command(argv: list[str]) -> str:
    return " ".join([_short(argv[0]), *argv[1:]])


def _order(metric: Metric, value: float) -> float:
    return -value if metric.higher_is_better else value


def _systems(document: dict[str, Any]) -> str:
    lines = [
        "## Systems",
        "",
        "| system | version | workers | status |",
        "| --- | --- | --- | --- |",
    ]
    for system, entry in document["systems"].items():
        status = entry["status"] + (f": {entry['reason']}" if entry.get("reason") else "")
        version = f"{entry['distribution']} {entry.get('version', '')}".strip()
        lines.append(f"| {system} | {version} | {entry['settings']} | {status} |")
    lines.append("")
    for system, entry in measured(document).items():
        command = " ".join(entry["worker_command"][1:]) if entry.get("worker_command") else ""
        lines.append(f"- {system}: `{_short(entry['worker_command'][0])} {command}`")
        for note in entry.get("notes", []):
            lines.append(f"  - note: {note}")
    lines.append("")
    return "\n".join(lines)


def _short(executable: str) -> str:
    return executable.rsplit("/", 1)[-1]


def _machine(document: dict[str, Any]) -> str:
    m = document["machine"]
    return f"""\
## Machine

| | |
| --- | --- |
| CPUs | {m["cpus"]} x {m["cpu_model"]} |
| memory | {m["memory_gib"]} GiB |
| kernel | {m["kernel"]} ({m["os"]}) |
| Python | {m["python"]} |
| PostgreSQL | {m["postgresql"] or "not reachable"} (127.0.0.1, defaults) |
| Redis | {m["redis"] or "not reachable"} (127.0.0.1, defaults) |
| SQLite | {m["sqlite"]}, files on {m["scratch_filesystem"]} |
| load average (1, 5, 15 min) | {_load(m)} |
{_floors(m)}
The machine is not reserved for the benchmark: the load average before and after the run shows
how busy it was with other work. The floors, measured at the start and at the end of the run
(medians, in ms), are what an idle job's way from enqueue to start cannot go below here: a
durable commit waits for one disk flush, and each process on the way has to be woken up after
the idle gap between two jobs (10 to 30 ms), as the PostgreSQL round trip and the pipe
ping-pong to a child process are, each after 20 ms of idleness. The PostgreSQL hand-off is the
bare shape of an idle worker's path, with nothing else done on it: one statement inserts a row
and NOTIFYs, a process LISTENing hears it and passes it over a pipe to another process, which
takes the time; no queue whose job starts on another process than the one that heard of it
can do less.
"""


def _floors(m: dict[str, Any]) -> str:
    start, end = m.get("floors_at_start"), m.get("floors_at_end")
    if not start:
        return ""
    rows = [
        ("disk flush (fdatasync of 4 KiB)", "disk_flush_ms"),
        ("PostgreSQL round trip after 20 ms idle", "postgres_idle_round_trip_ms"),
        ("pipe ping-pong to a child after 20 ms idle", "process_wake_up_ms"),
        ("PostgreSQL hand-off after 20 ms idle (see below)", "postgres_hand_off_ms"),
    ]
    return "".join(
        f"| {label} | {_ms(start.get(key))} at start; {_ms((end or {}).get(key))} at end |\n"
        for label, key in rows
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def _load(m: dict[str, Any]) -> str:
    start = ", ".join(str(x) for x in m.get("load_average_at_start", []))
    end = ", ".join(str(x) for x in m.get("load_average_at_end", []))
    return f"{start} at start; {end} at end"
