import type { PoolClient } from 'pg';

/**
 * The PostgreSQL schema: the same tables, columns, indexes and triggers as the SQLite dialect's
 * migrations 1–6 leave (docs/storage.md), written once in their final shape, since no PostgreSQL
 * database predates this dialect, plus what several instances share (docs/scale-out.md). Later changes are appended as numbered migrations, as in SQLite.
 * Every INTEGER there is a BIGINT here (ids, millisecond times); JSON documents stay TEXT, written
 * and read whole by the families.
 */
export interface PgMigration {
  version: number;
  description: string;
  sql: (ctx: { defaultAccountId: string }) => string;
}

/** The trigger bodies of SQLite's migration 5 and 6, as plpgsql functions. */
const TRIGGERS = `
CREATE FUNCTION omicsd_now_ms() RETURNS BIGINT LANGUAGE sql AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;

CREATE FUNCTION omicsd_count_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE k TEXT := TG_ARGV[0];
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE status_counts SET n = n - 1 WHERE kind = k AND status = OLD.status;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO status_counts (kind, status, n) VALUES (k, NEW.status, 1) ON CONFLICT (kind, status) DO UPDATE SET n = status_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_count_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION omicsd_count_status('run');
CREATE TRIGGER runs_count_update AFTER UPDATE OF status ON runs FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION omicsd_count_status('run');
CREATE TRIGGER runs_count_delete AFTER DELETE ON runs FOR EACH ROW EXECUTE FUNCTION omicsd_count_status('run');
CREATE TRIGGER batches_count_insert AFTER INSERT ON batches FOR EACH ROW EXECUTE FUNCTION omicsd_count_status('batch');
CREATE TRIGGER batches_count_update AFTER UPDATE OF status ON batches FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION omicsd_count_status('batch');
CREATE TRIGGER batches_count_delete AFTER DELETE ON batches FOR EACH ROW EXECUTE FUNCTION omicsd_count_status('batch');

CREATE FUNCTION omicsd_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at) VALUES ('run', NEW.id, NEW.account_id, NEW.status, omicsd_now_ms());
  RETURN NULL;
END $$;
CREATE TRIGGER runs_event_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION omicsd_run_event();
CREATE TRIGGER runs_event_update AFTER UPDATE OF status ON runs FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION omicsd_run_event();

CREATE FUNCTION omicsd_batch_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s JSONB := NEW.default_run_setting::jsonb;
  facts JSONB := jsonb_build_object('uuid', NEW.uuid, 'name', NEW.name, 'workflowId', NEW.workflow_id,
    'cacheId', s->>'cacheId', 'cacheBehavior', s->>'cacheBehavior', 'workflowVersionName', s->>'workflowVersionName',
    'workflowOwnerId', s->>'workflowOwnerId');
BEGIN
  IF TG_OP = 'UPDATE' THEN
    facts := facts || jsonb_build_object('totalRuns', NEW.total_runs, 'failureReason', NEW.failure_reason, 'failureDetail', NEW.failure_detail,
      'startOk', NEW.start_ok, 'startFailed', NEW.start_failed, 'startPending', NEW.start_pending,
      'pending', NEW.runs_pending, 'starting', NEW.runs_starting, 'running', NEW.runs_running, 'stopping', NEW.runs_stopping,
      'completed', NEW.runs_completed, 'failed', NEW.runs_failed, 'cancelled', NEW.runs_cancelled, 'deleted', NEW.runs_deleted);
  END IF;
  INSERT INTO events (kind, resource_id, account_id, status, at, facts) VALUES ('batch', NEW.id, NEW.account_id, NEW.status, omicsd_now_ms(), facts::text);
  RETURN NULL;
END $$;
CREATE TRIGGER batches_event_insert AFTER INSERT ON batches FOR EACH ROW EXECUTE FUNCTION omicsd_batch_event();
CREATE TRIGGER batches_event_update AFTER UPDATE OF status ON batches FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION omicsd_batch_event();
`;

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    description: 'the SQLite schema as of its migration 6, and the instance registry, leases and shared StartRun buckets of several instances',
    sql: (ctx) => `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sequences (name TEXT PRIMARY KEY, next_value BIGINT NOT NULL);
INSERT INTO sequences (name, next_value) VALUES ('workflow', 1000001), ('run', 1000001), ('runGroup', 1000001), ('runBatch', 1000001), ('task', 1000001),
  ('workflowVersion', 1), ('runCache', 1000001), ('configuration', 1);
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('live_runs:${ctx.defaultAccountId.replace(/'/g, "''")}', 0);

CREATE TABLE workflows (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, uuid TEXT NOT NULL, status TEXT NOT NULL, type TEXT NOT NULL, name TEXT,
  creation_time BIGINT NOT NULL, request_id TEXT, request_hash TEXT, tags TEXT NOT NULL, doc TEXT NOT NULL, definition BYTEA
);
CREATE UNIQUE INDEX workflows_request ON workflows (account_id, request_id);
CREATE INDEX workflows_account ON workflows (account_id, id);

CREATE TABLE workflow_versions (
  id BIGINT PRIMARY KEY, workflow_id BIGINT NOT NULL, version_name TEXT NOT NULL, account_id TEXT NOT NULL, uuid TEXT NOT NULL,
  status TEXT NOT NULL, creation_time BIGINT NOT NULL, request_id TEXT, request_hash TEXT, tags TEXT NOT NULL, doc TEXT NOT NULL, definition BYTEA
);
CREATE UNIQUE INDEX workflow_versions_name ON workflow_versions (workflow_id, version_name) WHERE status != 'DELETED';
CREATE UNIQUE INDEX workflow_versions_request ON workflow_versions (account_id, request_id);

CREATE TABLE run_groups (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT, max_cpus BIGINT, max_runs BIGINT, max_duration BIGINT, max_gpus BIGINT,
  creation_time BIGINT NOT NULL, request_id TEXT, request_hash TEXT, tags TEXT NOT NULL
);
CREATE UNIQUE INDEX run_groups_request ON run_groups (account_id, request_id);
CREATE INDEX run_groups_account ON run_groups (account_id, id);

CREATE TABLE run_caches (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, status TEXT NOT NULL, name TEXT, creation_time BIGINT NOT NULL,
  request_id TEXT, request_hash TEXT, tags TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE UNIQUE INDEX run_caches_request ON run_caches (account_id, request_id);
CREATE INDEX run_caches_account ON run_caches (account_id, id);

CREATE TABLE configurations (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL, uuid TEXT NOT NULL, status TEXT NOT NULL, creation_time BIGINT NOT NULL,
  request_id TEXT, request_hash TEXT, tags TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE UNIQUE INDEX configurations_name ON configurations (account_id, name) WHERE status != 'DELETED';
CREATE UNIQUE INDEX configurations_request ON configurations (account_id, request_id);

CREATE TABLE shares (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, owner_account TEXT NOT NULL, subscriber TEXT NOT NULL,
  resource_arn TEXT NOT NULL, workflow_id BIGINT NOT NULL, name TEXT, status TEXT NOT NULL, creation_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL, status_message TEXT
);
CREATE INDEX shares_owner ON shares (owner_account, seq);
CREATE INDEX shares_subscriber ON shares (subscriber, seq);
CREATE UNIQUE INDEX shares_live ON shares (workflow_id, subscriber) WHERE status IN ('PENDING', 'ACTIVE');

CREATE TABLE runs (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, uuid TEXT NOT NULL, status TEXT NOT NULL, name TEXT, workflow_id BIGINT NOT NULL,
  run_group_id BIGINT, batch_id BIGINT, priority BIGINT NOT NULL, creation_time BIGINT NOT NULL, start_time BIGINT, stop_time BIGINT,
  status_message TEXT, failure_reason TEXT, request_id TEXT, request_hash TEXT, retention_mode TEXT NOT NULL, tags TEXT NOT NULL, doc TEXT NOT NULL,
  -- The instance whose executor runs it (set when it leaves PENDING): recovery and takeover find a run's owner here.
  instance_id TEXT
);
CREATE INDEX runs_instance ON runs (instance_id) WHERE status IN ('STARTING','RUNNING','STOPPING');
CREATE UNIQUE INDEX runs_request ON runs (account_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX runs_queue ON runs (priority DESC, id) WHERE status = 'PENDING';
CREATE INDEX runs_active ON runs (run_group_id) WHERE status IN ('STARTING','RUNNING','STOPPING');
CREATE INDEX runs_retention ON runs (account_id, retention_mode, id) WHERE status IN ('COMPLETED','FAILED','CANCELLED');
CREATE INDEX runs_batch ON runs (batch_id, id) WHERE batch_id IS NOT NULL;
CREATE INDEX runs_group ON runs (run_group_id, id) WHERE run_group_id IS NOT NULL;
CREATE INDEX runs_account ON runs (account_id, id);

CREATE TABLE tasks (
  id BIGINT PRIMARY KEY, run_id BIGINT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, cpus BIGINT, memory BIGINT, gpus BIGINT,
  creation_time BIGINT NOT NULL, start_time BIGINT, stop_time BIGINT, status_message TEXT, failure_reason TEXT, log_stream TEXT,
  cache_hit BIGINT, cache_s3_uri TEXT
);
CREATE INDEX tasks_run ON tasks (run_id, id);

CREATE TABLE batches (
  id BIGINT PRIMARY KEY, account_id TEXT NOT NULL, uuid TEXT NOT NULL, name TEXT, status TEXT NOT NULL, request_id TEXT NOT NULL,
  request_hash TEXT NOT NULL, workflow_id BIGINT NOT NULL, run_group_id BIGINT, creation_time BIGINT NOT NULL, submitted_time BIGINT,
  processed_time BIGINT, failed_time BIGINT, failure_reason TEXT, failure_detail TEXT, tags TEXT NOT NULL, default_run_setting TEXT NOT NULL,
  inline_settings TEXT, s3_uri TEXT, s3_etag TEXT, total_runs BIGINT, started_by TEXT,
  cancel_requested BIGINT NOT NULL DEFAULT 0, delete_requested BIGINT NOT NULL DEFAULT 0, op_cursor BIGINT NOT NULL DEFAULT 0,
  start_ok BIGINT NOT NULL DEFAULT 0, start_failed BIGINT NOT NULL DEFAULT 0, start_pending BIGINT NOT NULL DEFAULT 0,
  cancel_ok BIGINT NOT NULL DEFAULT 0, cancel_failed BIGINT NOT NULL DEFAULT 0, delete_ok BIGINT NOT NULL DEFAULT 0, delete_failed BIGINT NOT NULL DEFAULT 0,
  runs_pending BIGINT NOT NULL DEFAULT 0, runs_starting BIGINT NOT NULL DEFAULT 0, runs_running BIGINT NOT NULL DEFAULT 0,
  runs_stopping BIGINT NOT NULL DEFAULT 0, runs_completed BIGINT NOT NULL DEFAULT 0, runs_failed BIGINT NOT NULL DEFAULT 0,
  runs_cancelled BIGINT NOT NULL DEFAULT 0, runs_deleted BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX batches_request ON batches (account_id, request_id);
CREATE INDEX batches_status ON batches (status, id);
CREATE INDEX batches_name ON batches (name, id);
CREATE INDEX batches_group ON batches (run_group_id, id);
CREATE INDEX batches_account ON batches (account_id, id);

CREATE TABLE batch_entries (
  batch_id BIGINT NOT NULL, seq BIGINT NOT NULL, run_setting_id TEXT NOT NULL, setting TEXT, byte_start BIGINT, byte_end BIGINT,
  submission_status TEXT, run_id BIGINT, run_uuid TEXT, failure_reason TEXT, failure_message TEXT,
  PRIMARY KEY (batch_id, seq)
);
CREATE UNIQUE INDEX batch_entries_setting ON batch_entries (batch_id, run_setting_id);
CREATE INDEX batch_entries_status ON batch_entries (batch_id, submission_status, seq);
CREATE INDEX batch_entries_run ON batch_entries (run_id, batch_id);
CREATE TABLE batch_purges (batch_id BIGINT PRIMARY KEY);

CREATE TABLE status_counts (kind TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (kind, status));
CREATE TABLE events (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, resource_id BIGINT NOT NULL, account_id TEXT NOT NULL,
  status TEXT NOT NULL, at BIGINT NOT NULL, facts TEXT
);
CREATE TABLE event_cursors (sink TEXT PRIMARY KEY, seq BIGINT NOT NULL);

-- Several instances on one database (docs/scale-out.md): who is alive, who does which shared work,
-- and the account's StartRun bucket, one for all instances.
CREATE TABLE instances (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, version TEXT NOT NULL, started_at BIGINT NOT NULL,
  data_dir TEXT NOT NULL, executor TEXT NOT NULL, heartbeat_at BIGINT NOT NULL, stopped_at BIGINT
);
CREATE TABLE leases (resource TEXT PRIMARY KEY, lease_owner TEXT NOT NULL, lease_until BIGINT NOT NULL);
CREATE INDEX leases_owner ON leases (lease_owner);
CREATE TABLE rate_buckets (account TEXT PRIMARY KEY, tokens FLOAT8 NOT NULL, updated_ms BIGINT NOT NULL);
${TRIGGERS}`,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;

/** Key of the session advisory lock that migrations run under, so instances starting together apply them once. */
const MIGRATION_LOCK = 0x6f6d6964; // "omid"

/** Applies the migrations the database lacks, under an advisory lock; refuses a database of a newer omicsd. */
export async function migratePg(client: PoolClient, ctx: { defaultAccountId: string }): Promise<{ from: number; to: number }> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    const from = done.size ? Math.max(...done) : 0;
    if (from > PG_SCHEMA_VERSION) {
      throw new Error(`The PostgreSQL database has schema version ${from}, but this omicsd knows versions up to ${PG_SCHEMA_VERSION}: `
        + 'it was written by a newer omicsd. Run that version (or newer); omicsd does not downgrade schemas.');
    }
    for (const m of PG_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql(ctx));
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    return { from, to: PG_SCHEMA_VERSION };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
