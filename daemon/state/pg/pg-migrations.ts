// The PostgreSQL store's schema, as numbered steps. A step once released is never edited: a
// change is a new step at the end. `bl_schema` records the steps applied; a database whose
// newest step is past the last one here belongs to a newer bl and is refused, never altered.
export interface Migration {
  version: number;
  what: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'jobs, settings and the daemons sharing them',
    sql: `
CREATE TABLE broker_jobs (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,  -- ULIDs: byte order is time order, whatever the locale
  queue_rank SMALLINT NOT NULL,         -- 0 urgent, 1 normal: the claim order
  pos BIGINT NOT NULL,                  -- FIFO position in its queue; head re-queues go below
  phase SMALLINT NOT NULL,              -- 0 pending, 1 running, 2 ended
  state TEXT NOT NULL,
  command TEXT, argv TEXT, http TEXT,
  cwd TEXT NOT NULL, env TEXT NOT NULL,
  timeout DOUBLE PRECISION, idle_cpu TEXT, retries INTEGER NOT NULL,
  key TEXT COLLATE "C", labels TEXT NOT NULL, params TEXT,
  attempt INTEGER NOT NULL,
  launcher TEXT, host TEXT,
  pid INTEGER, pgid INTEGER, proc_start BIGINT,
  submitted_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT,
  exit_code INTEGER, signal TEXT, usage TEXT, reason TEXT,
  sweep_key TEXT,
  -- The daemon whose launcher runs the job, and until when its claim holds unless renewed.
  lease_owner TEXT, lease_expires BIGINT
);
CREATE INDEX broker_jobs_pending ON broker_jobs(queue_rank, pos, timeout) WHERE phase = 0;
CREATE INDEX broker_jobs_phase ON broker_jobs(phase, id);
CREATE UNIQUE INDEX broker_jobs_key ON broker_jobs(key) WHERE key IS NOT NULL;
CREATE INDEX broker_jobs_short_id ON broker_jobs(right(id, 8));
CREATE INDEX broker_jobs_sweep ON broker_jobs(sweep_key) WHERE sweep_key IS NOT NULL;
CREATE INDEX broker_jobs_lease ON broker_jobs(lease_owner, lease_expires) WHERE phase = 1;
CREATE SEQUENCE broker_pos;
CREATE TABLE broker_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Jobs by state and queue, kept by statement triggers: every daemon reads the whole queue's
-- counts in one small read (dispatch, status, metrics), whatever the table holds.
CREATE TABLE broker_counts (
  state TEXT NOT NULL,
  queue_rank SMALLINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (state, queue_rank)
);
CREATE FUNCTION broker_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO broker_counts AS c (state, queue_rank, n)
      SELECT state, queue_rank, count(*) FROM new_rows GROUP BY state, queue_rank ORDER BY state, queue_rank
      ON CONFLICT (state, queue_rank) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE broker_counts AS c SET n = c.n - o.k
      FROM (SELECT state, queue_rank, count(*) AS k FROM old_rows GROUP BY state, queue_rank) o
      WHERE c.state = o.state AND c.queue_rank = o.queue_rank;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER broker_counts_ins AFTER INSERT ON broker_jobs REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION broker_counts_add();
CREATE TRIGGER broker_counts_upd AFTER UPDATE ON broker_jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION broker_counts_add();
CREATE TRIGGER broker_counts_del AFTER DELETE ON broker_jobs REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION broker_counts_add();
CREATE TABLE bl_daemons (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  url TEXT,
  started_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    what: "a job's limits (memory_max, cpu_max, pids_max)",
    sql: `ALTER TABLE broker_jobs ADD COLUMN limits TEXT;  -- JSON (contract/limits.ts)`,
  },
  {
    version: 3,
    what: 'jobs that wait on others (after, sweeps)',
    sql: `
ALTER TABLE broker_jobs
  ADD COLUMN sweep_id TEXT COLLATE "C",    -- the sweep (one submit's combinations) a job belongs to
  ADD COLUMN "after" TEXT,                  -- JSON: the job and sweep ids it waits on
  ADD COLUMN after_any SMALLINT;            -- 1: runs once each has ended, however
-- phase 3: waiting on others (dependencies.ts); never claimed.
CREATE INDEX broker_jobs_sweep_id ON broker_jobs(sweep_id, phase) WHERE sweep_id IS NOT NULL;
-- What waiting jobs still wait on: a row goes when it is resolved.
CREATE TABLE broker_job_deps (
  on_id TEXT COLLATE "C" NOT NULL,          -- a job id or a sweep id
  job_id TEXT COLLATE "C" NOT NULL,         -- the waiting job
  PRIMARY KEY (on_id, job_id)
);
CREATE INDEX broker_job_deps_job ON broker_job_deps(job_id);
`,
  },
  {
    version: 4,
    what: "a job's log copied, rotated and stamped (log_max_bytes, log_keep, log_timestamps)",
    sql: `ALTER TABLE broker_jobs ADD COLUMN log_output TEXT;  -- JSON (contract/run.ts LogOutput)`,
  },
  {
    version: 5,
    what: 'notes on jobs (late reports refused) and cancels asked of the daemon that holds a running job',
    sql: `
ALTER TABLE broker_jobs ADD COLUMN cancel_requested_at BIGINT;
CREATE INDEX broker_jobs_cancel ON broker_jobs(lease_owner) WHERE cancel_requested_at IS NOT NULL;
CREATE TABLE broker_job_notes (
  seq BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX broker_job_notes_job ON broker_job_notes(job_id, seq);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
