-- The standing offer of an idle worker that found nothing to claim: the next job written
-- by a single enqueue that fits it is claimed for that worker in the producer's own
-- transaction, and sent to it whole on its wake-up socket, instead of being woken and
-- claimed in a transaction of its own (most of an idle worker's time from enqueue to start).
-- One offer per worker, taken by one job at most; it lapses at expires_at unless renewed.
CREATE TABLE offers (
    worker_id TEXT PRIMARY KEY,
    lease_token TEXT NOT NULL,
    marker TEXT NOT NULL,
    queues TEXT,
    free INTEGER NOT NULL,
    unknown_need INTEGER NOT NULL,
    lease REAL NOT NULL,
    expires_at REAL NOT NULL
);
