-- The standing offer of an idle worker that found nothing to claim: the next job written
-- by a single enqueue that fits it is claimed for that worker by the producer's own
-- statement, and sent to it in the notification, instead of being woken and claimed in a
-- round trip of its own (most of an idle worker's time from enqueue to start).
-- One offer per worker, taken by one job at most; it lapses at expires_at unless renewed.
CREATE TABLE IF NOT EXISTS offers (
    worker_id text PRIMARY KEY,
    lease_token text NOT NULL,
    channel text NOT NULL,
    queues text[],
    free bigint NOT NULL,
    unknown_need bigint NOT NULL,
    lease double precision NOT NULL,
    expires_at double precision NOT NULL
);
