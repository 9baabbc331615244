ALTER TABLE jobs ADD COLUMN memory INTEGER;

ALTER TABLE jobs ADD COLUMN reservation INTEGER;

ALTER TABLE jobs ADD COLUMN peak_memory INTEGER;

ALTER TABLE jobs ADD COLUMN memory_kills INTEGER NOT NULL DEFAULT 0;

CREATE TABLE task_stats (
    task TEXT PRIMARY KEY,
    peaks TEXT NOT NULL DEFAULT '[]',
    durations TEXT NOT NULL DEFAULT '[]',
    learned_memory INTEGER,
    updated_at REAL NOT NULL
);

ALTER TABLE workers ADD COLUMN memory_budget INTEGER;

ALTER TABLE workers ADD COLUMN memory_free INTEGER;
