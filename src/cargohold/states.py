"""The states a job moves through.

```
             enqueue(delay)            run_at reached
  (new) ──────────────────▶ scheduled ───────────────┐
    │                          ▲                     ▼
    │ enqueue                  │ retry (backoff)   queued ◀── rescue / hand back
    └──────────────────────────┼──────────────────▶  │            ▲
                               │                     │ claim      │
                               │                     ▼            │
                               └──────────────── running ─────────┘
                                                  │  │  │
                                   succeeded ◀────┘  │  └────▶ cancelled
                                                     ▼
                                                   failed (dead letter)
```

`queued` and `scheduled` jobs may also be cancelled; `failed` and `cancelled` jobs may be
retried by hand, which queues them again.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def is_waiting(self) -> bool:
        return self in (JobState.SCHEDULED, JobState.QUEUED)


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
