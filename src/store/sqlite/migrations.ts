import type Database from 'better-sqlite3';

/**
 * The SQLite schema as numbered, append-only migrations. Each runs once, in order, in its own
 * transaction, and is recorded in `schema_migrations` inside the database file, so a data dir says
 * which schema it has. Never edit a released migration: add the next one.
 * Columns hold what is filtered, sorted or counted; `doc` holds the rest of a record as JSON.
 */
export interface Migration {
  version: number;
  description: string;
  /** SQL, or a step that needs the context (the account existing data belongs to). */
  sql: string | ((db: Database.Database, ctx: MigrationContext) => void);
}

export interface MigrationContext {
  /** The account that data written before accounts existed is given to (`--account-id`). */
  defaultAccountId: string;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'omicsd 0.1.0 schema',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL);
INSERT INTO sequences (name, next_value) VALUES ('workflow', 1000001), ('run', 1000001), ('runGroup', 1000001), ('runBatch', 1000001), ('task', 1000001);

CREATE TABLE workflows (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  status TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT,
  creation_time INTEGER NOT NULL,
  request_id TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  doc TEXT NOT NULL,
  definition BLOB
);
CREATE UNIQUE INDEX workflows_request ON workflows (request_id);

CREATE TABLE run_groups (
  id INTEGER PRIMARY KEY,
  name TEXT,
  max_cpus INTEGER,
  max_runs INTEGER,
  max_duration INTEGER,
  max_gpus INTEGER,
  creation_time INTEGER NOT NULL,
  request_id TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL
);
CREATE UNIQUE INDEX run_groups_request ON run_groups (request_id);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  status TEXT NOT NULL,
  name TEXT,
  workflow_id INTEGER NOT NULL,
  run_group_id INTEGER,
  batch_id INTEGER,
  priority INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  start_time INTEGER,
  stop_time INTEGER,
  status_message TEXT,
  failure_reason TEXT,
  request_id TEXT,
  request_hash TEXT,
  retention_mode TEXT NOT NULL,
  tags TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX runs_request ON runs (request_id) WHERE request_id IS NOT NULL;
-- Partial indexes: only queued / active runs are indexed, so finished runs cost nothing to keep.
CREATE INDEX runs_queue ON runs (priority DESC, id) WHERE status = 'PENDING';
CREATE INDEX runs_active ON runs (run_group_id) WHERE status IN ('STARTING','RUNNING','STOPPING');
CREATE INDEX runs_retention ON runs (retention_mode, id) WHERE status IN ('COMPLETED','FAILED','CANCELLED');
CREATE INDEX runs_batch ON runs (batch_id, id) WHERE batch_id IS NOT NULL;
CREATE INDEX runs_group ON runs (run_group_id, id) WHERE run_group_id IS NOT NULL;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('live_runs', 0);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  cpus INTEGER,
  memory INTEGER,
  gpus INTEGER,
  creation_time INTEGER NOT NULL,
  start_time INTEGER,
  stop_time INTEGER,
  status_message TEXT,
  failure_reason TEXT,
  log_stream TEXT
);
CREATE INDEX tasks_run ON tasks (run_id, id);

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL,
  request_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  workflow_id INTEGER NOT NULL,
  run_group_id INTEGER,
  creation_time INTEGER NOT NULL,
  submitted_time INTEGER,
  processed_time INTEGER,
  failed_time INTEGER,
  failure_reason TEXT,
  tags TEXT NOT NULL,
  default_run_setting TEXT NOT NULL,
  inline_settings TEXT,
  s3_uri TEXT,
  s3_etag TEXT,
  total_runs INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  delete_requested INTEGER NOT NULL DEFAULT 0,
  op_cursor INTEGER NOT NULL DEFAULT 0,
  start_ok INTEGER NOT NULL DEFAULT 0,
  start_failed INTEGER NOT NULL DEFAULT 0,
  start_pending INTEGER NOT NULL DEFAULT 0,
  cancel_ok INTEGER NOT NULL DEFAULT 0,
  cancel_failed INTEGER NOT NULL DEFAULT 0,
  delete_ok INTEGER NOT NULL DEFAULT 0,
  delete_failed INTEGER NOT NULL DEFAULT 0,
  runs_pending INTEGER NOT NULL DEFAULT 0,
  runs_starting INTEGER NOT NULL DEFAULT 0,
  runs_running INTEGER NOT NULL DEFAULT 0,
  runs_stopping INTEGER NOT NULL DEFAULT 0,
  runs_completed INTEGER NOT NULL DEFAULT 0,
  runs_failed INTEGER NOT NULL DEFAULT 0,
  runs_cancelled INTEGER NOT NULL DEFAULT 0,
  runs_deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX batches_request ON batches (request_id);
CREATE INDEX batches_status ON batches (status, id);
CREATE INDEX batches_name ON batches (name, id);
CREATE INDEX batches_group ON batches (run_group_id, id);

CREATE TABLE batch_entries (
  batch_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  run_setting_id TEXT NOT NULL,
  -- An inline entry's JSON text; entries of a settings file keep only their byte range in the
  -- ETag-pinned object and are read again by range when submitted.
  setting TEXT,
  byte_start INTEGER,
  byte_end INTEGER,
  submission_status TEXT,
  run_id INTEGER,
  run_uuid TEXT,
  failure_reason TEXT,
  failure_message TEXT,
  PRIMARY KEY (batch_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX batch_entries_setting ON batch_entries (batch_id, run_setting_id);
CREATE INDEX batch_entries_status ON batch_entries (batch_id, submission_status, seq);
-- Entries of deleted batches, removed a bounded chunk at a time after DeleteBatch answers.
CREATE TABLE batch_purges (batch_id INTEGER PRIMARY KEY);
CREATE INDEX batch_entries_run ON batch_entries (run_id, batch_id);
`,
  },
  {
    version: 2,
    // Migration 1 was edited after data dirs already existed: one made by an earlier 0.1.0 build lacks
    // the purge table and has the narrower run index. This brings every version-1 data dir to one shape.
    description: 'repair data dirs made before migration 1 was final: batch_purges, batch_entries_run (run_id, batch_id)',
    sql: `
CREATE TABLE IF NOT EXISTS batch_purges (batch_id INTEGER PRIMARY KEY);
DROP INDEX IF EXISTS batch_entries_run;
CREATE INDEX batch_entries_run ON batch_entries (run_id, batch_id);
`,
  },
  {
    version: 3,
    description: 'accounts: every workflow, run group, run and batch belongs to an account; client tokens and the run quota are per account',
    sql: (db, ctx) => {
      for (const table of ['workflows', 'run_groups', 'runs', 'batches']) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN account_id TEXT NOT NULL DEFAULT ''`);
        db.prepare(`UPDATE ${table} SET account_id = ?`).run(ctx.defaultAccountId);
      }
      db.exec(`
DROP INDEX workflows_request;
CREATE UNIQUE INDEX workflows_request ON workflows (account_id, request_id);
DROP INDEX run_groups_request;
CREATE UNIQUE INDEX run_groups_request ON run_groups (account_id, request_id);
DROP INDEX runs_request;
CREATE UNIQUE INDEX runs_request ON runs (account_id, request_id) WHERE request_id IS NOT NULL;
DROP INDEX batches_request;
CREATE UNIQUE INDEX batches_request ON batches (account_id, request_id);
CREATE INDEX runs_account ON runs (account_id, id);
CREATE INDEX batches_account ON batches (account_id, id);
CREATE INDEX workflows_account ON workflows (account_id, id);
CREATE INDEX run_groups_account ON run_groups (account_id, id);
DROP INDEX runs_retention;
CREATE INDEX runs_retention ON runs (account_id, retention_mode, id) WHERE status IN ('COMPLETED','FAILED','CANCELLED');
`);
      db.prepare(`UPDATE counters SET name = 'live_runs:' || ? WHERE name = 'live_runs'`).run(ctx.defaultAccountId);
    },
  },
  {
    version: 4,
    description: "a failed batch's detailed message (where in the settings file), beside its documented failureReason",
    sql: 'ALTER TABLE batches ADD COLUMN failure_detail TEXT;',
  },
  {
    version: 5,
    description: 'status counts kept by triggers (cheap metrics), and the event outbox: every run and batch status change, written in the transaction that made it',
    sql: `
-- Runs and batches per status, kept exact by triggers on every path that writes a status, so a
-- metrics scrape reads a few rows instead of counting 100,000 runs.
CREATE TABLE status_counts (kind TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, status)) WITHOUT ROWID;
INSERT INTO status_counts (kind, status, n) SELECT 'run', status, count(*) FROM runs GROUP BY status;
INSERT INTO status_counts (kind, status, n) SELECT 'batch', status, count(*) FROM batches GROUP BY status;
CREATE TRIGGER runs_count_insert AFTER INSERT ON runs BEGIN
  INSERT INTO status_counts (kind, status, n) VALUES ('run', NEW.status, 1) ON CONFLICT (kind, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER runs_count_update AFTER UPDATE OF status ON runs WHEN NEW.status IS NOT OLD.status BEGIN
  UPDATE status_counts SET n = n - 1 WHERE kind = 'run' AND status = OLD.status;
  INSERT INTO status_counts (kind, status, n) VALUES ('run', NEW.status, 1) ON CONFLICT (kind, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER runs_count_delete AFTER DELETE ON runs BEGIN
  UPDATE status_counts SET n = n - 1 WHERE kind = 'run' AND status = OLD.status;
END;
CREATE TRIGGER batches_count_insert AFTER INSERT ON batches BEGIN
  INSERT INTO status_counts (kind, status, n) VALUES ('batch', NEW.status, 1) ON CONFLICT (kind, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER batches_count_update AFTER UPDATE OF status ON batches WHEN NEW.status IS NOT OLD.status BEGIN
  UPDATE status_counts SET n = n - 1 WHERE kind = 'batch' AND status = OLD.status;
  INSERT INTO status_counts (kind, status, n) VALUES ('batch', NEW.status, 1) ON CONFLICT (kind, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER batches_count_delete AFTER DELETE ON batches BEGIN
  UPDATE status_counts SET n = n - 1 WHERE kind = 'batch' AND status = OLD.status;
END;

-- The event outbox (docs/events.md): one row per status change, committed with the change itself,
-- so no path that writes a status can skip its event and a crash loses none. seq is the order of
-- commits; the newest row is never pruned, so a seq is not handed out twice (unless a power loss
-- undoes the last commits: event ids also hash what the event is). A batch event holds what the batch was at the change (facts); a run event only names the
-- run, whose members are read when it is delivered: a per-run row stays small, because a batch
-- writes three to five of them per run.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  facts TEXT
);
-- How far each sink (a webhook, the events file) has delivered.
CREATE TABLE event_cursors (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TRIGGER runs_event_insert AFTER INSERT ON runs BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at) VALUES ('run', NEW.id, NEW.account_id, NEW.status, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER runs_event_update AFTER UPDATE OF status ON runs WHEN NEW.status IS NOT OLD.status BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at) VALUES ('run', NEW.id, NEW.account_id, NEW.status, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER batches_event_insert AFTER INSERT ON batches BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at, facts) VALUES ('batch', NEW.id, NEW.account_id, NEW.status,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('uuid', NEW.uuid, 'name', NEW.name, 'workflowId', NEW.workflow_id,
      'cacheId', json_extract(NEW.default_run_setting, '$.cacheId'), 'cacheBehavior', json_extract(NEW.default_run_setting, '$.cacheBehavior')));
END;
CREATE TRIGGER batches_event_update AFTER UPDATE OF status ON batches WHEN NEW.status IS NOT OLD.status BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at, facts) VALUES ('batch', NEW.id, NEW.account_id, NEW.status,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('uuid', NEW.uuid, 'name', NEW.name, 'workflowId', NEW.workflow_id,
      'cacheId', json_extract(NEW.default_run_setting, '$.cacheId'), 'cacheBehavior', json_extract(NEW.default_run_setting, '$.cacheBehavior'),
      'totalRuns', NEW.total_runs, 'failureReason', NEW.failure_reason, 'failureDetail', NEW.failure_detail,
      'startOk', NEW.start_ok, 'startFailed', NEW.start_failed, 'startPending', NEW.start_pending,
      'pending', NEW.runs_pending, 'starting', NEW.runs_starting, 'running', NEW.runs_running, 'stopping', NEW.runs_stopping,
      'completed', NEW.runs_completed, 'failed', NEW.runs_failed, 'cancelled', NEW.runs_cancelled, 'deleted', NEW.runs_deleted));
END;
`,
  },
  {
    version: 6,
    description: 'workflow versions, run caches, run configurations and workflow shares',
    sql: `
INSERT INTO sequences (name, next_value) VALUES ('workflowVersion', 1), ('runCache', 1000001), ('configuration', 1);

-- A version belongs to its workflow; its name is unique among the workflow's live versions. id is
-- internal (tags and the run's reference use it); the API names a version by workflow id and name.
CREATE TABLE workflow_versions (
  id INTEGER PRIMARY KEY,
  workflow_id INTEGER NOT NULL,
  version_name TEXT NOT NULL,
  account_id TEXT NOT NULL,
  uuid TEXT NOT NULL,
  status TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  request_id TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  doc TEXT NOT NULL,
  definition BLOB
);
CREATE UNIQUE INDEX workflow_versions_name ON workflow_versions (workflow_id, version_name) WHERE status != 'DELETED';
CREATE UNIQUE INDEX workflow_versions_request ON workflow_versions (account_id, request_id);

CREATE TABLE run_caches (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL,
  status TEXT NOT NULL,
  name TEXT,
  creation_time INTEGER NOT NULL,
  request_id TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX run_caches_request ON run_caches (account_id, request_id);
CREATE INDEX run_caches_account ON run_caches (account_id, id);

CREATE TABLE configurations (
  id INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  uuid TEXT NOT NULL,
  status TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  request_id TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX configurations_name ON configurations (account_id, name) WHERE status != 'DELETED';
CREATE UNIQUE INDEX configurations_request ON configurations (account_id, request_id);

-- A share offers one workflow of the owner's account to one subscriber account.
CREATE TABLE shares (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  owner_account TEXT NOT NULL,
  subscriber TEXT NOT NULL,
  resource_arn TEXT NOT NULL,
  workflow_id INTEGER NOT NULL,
  name TEXT,
  status TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  status_message TEXT
);
CREATE INDEX shares_owner ON shares (owner_account, seq);
CREATE INDEX shares_subscriber ON shares (subscriber, seq);
CREATE UNIQUE INDEX shares_live ON shares (workflow_id, subscriber) WHERE status IN ('PENDING', 'ACTIVE');

-- A task whose outputs came from a run cache, and where the cache keeps them.
ALTER TABLE tasks ADD COLUMN cache_hit INTEGER;
ALTER TABLE tasks ADD COLUMN cache_s3_uri TEXT;
-- Who started a batch: its runs' startedBy.
ALTER TABLE batches ADD COLUMN started_by TEXT;

-- Batch events also name the workflow version and the owner of a shared workflow (docs/events.md).
DROP TRIGGER batches_event_insert;
DROP TRIGGER batches_event_update;
CREATE TRIGGER batches_event_insert AFTER INSERT ON batches BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at, facts) VALUES ('batch', NEW.id, NEW.account_id, NEW.status,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('uuid', NEW.uuid, 'name', NEW.name, 'workflowId', NEW.workflow_id,
      'cacheId', json_extract(NEW.default_run_setting, '$.cacheId'), 'cacheBehavior', json_extract(NEW.default_run_setting, '$.cacheBehavior'),
      'workflowVersionName', json_extract(NEW.default_run_setting, '$.workflowVersionName'),
      'workflowOwnerId', json_extract(NEW.default_run_setting, '$.workflowOwnerId')));
END;
CREATE TRIGGER batches_event_update AFTER UPDATE OF status ON batches WHEN NEW.status IS NOT OLD.status BEGIN
  INSERT INTO events (kind, resource_id, account_id, status, at, facts) VALUES ('batch', NEW.id, NEW.account_id, NEW.status,
    CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('uuid', NEW.uuid, 'name', NEW.name, 'workflowId', NEW.workflow_id,
      'cacheId', json_extract(NEW.default_run_setting, '$.cacheId'), 'cacheBehavior', json_extract(NEW.default_run_setting, '$.cacheBehavior'),
      'workflowVersionName', json_extract(NEW.default_run_setting, '$.workflowVersionName'),
      'workflowOwnerId', json_extract(NEW.default_run_setting, '$.workflowOwnerId'),
      'totalRuns', NEW.total_runs, 'failureReason', NEW.failure_reason, 'failureDetail', NEW.failure_detail,
      'startOk', NEW.start_ok, 'startFailed', NEW.start_failed, 'startPending', NEW.start_pending,
      'pending', NEW.runs_pending, 'starting', NEW.runs_starting, 'running', NEW.runs_running, 'stopping', NEW.runs_stopping,
      'completed', NEW.runs_completed, 'failed', NEW.runs_failed, 'cancelled', NEW.runs_cancelled, 'deleted', NEW.runs_deleted));
END;
`,
  },
];

/** The newest schema this build knows. */
export const SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;

/** The data dir's schema is newer than this build: refuse to touch it. */
export class SchemaTooNewError extends Error {}

/** Applies the migrations a database lacks; refuses a database made by a newer omicsd. */
export function migrate(db: Database.Database, file: string, ctx: MigrationContext): { from: number; to: number } {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const from = done.size ? Math.max(...done) : 0;
  if (from > SCHEMA_VERSION) {
    throw new SchemaTooNewError(`The database ${file} has schema version ${from}, but this omicsd knows versions up to ${SCHEMA_VERSION}: `
      + 'it was written by a newer omicsd. Run that version (or newer) on this data dir; omicsd does not downgrade schemas.');
  }
  for (const m of SQLITE_MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      if (typeof m.sql === 'string') db.exec(m.sql);
      else m.sql(db, ctx);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}
