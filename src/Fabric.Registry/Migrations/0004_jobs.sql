-- Version 4: durable jobs (src/Fabric.Jobs). A job names its node rather than referencing it, so its history
-- outlives the node. Steps are a JSON list; progress is the latest value only; the log is bounded per job.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  kind             TEXT NOT NULL,
  node             TEXT,
  arguments        TEXT NOT NULL DEFAULT '{}',
  state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  actor            TEXT NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 1,
  created_at       INTEGER NOT NULL,
  queued_at        INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  steps            TEXT NOT NULL DEFAULT '[]',
  progress_done    INTEGER,
  progress_total   INTEGER,
  progress_unit    TEXT,
  error            TEXT,
  log_dropped      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX ix_jobs_state ON jobs(state, queued_at, id);
CREATE INDEX ix_jobs_node ON jobs(node, id);

CREATE TABLE job_log (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq    INTEGER NOT NULL,
  at     INTEGER NOT NULL,
  line   TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
