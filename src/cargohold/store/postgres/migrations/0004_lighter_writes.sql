-- Every enqueue, claim and outcome writes a new version of a job's row, and each index that
-- holds the row takes a new entry with it.
-- jobs_state (state, id) served only pruning and listing by state, which jobs_finished,
-- the ready indexes and jobs_lease serve as well: dropping it spares every write an entry.
DROP INDEX IF EXISTS jobs_state;

-- Most jobs have no key: a unique index over keys only spares them an entry of NULL.
ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_key_key;
CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs (key) WHERE key IS NOT NULL;

-- Events are read by job (events_job) and never by id alone: an index over their ids would
-- be one more entry for every enqueue, claim and outcome.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_pkey;
