import type { IdempotentKind, Store } from '../store.js';
import { SqliteBatchEntries } from './batch-entries.js';
import { SqliteBatchState } from './batch-state.js';
import { SqliteBatches } from './batches.js';
import { type Row } from '../sql-common.js';
import { SqliteDatabase } from './database.js';
import { SqliteEvents } from './events.js';
import { findByRequest } from './idempotency.js';
import { DEFAULT_ACCOUNT_ID } from '../../domain/ids.js';
import { migrate } from './migrations.js';
import { SqliteRunGroups } from './run-groups.js';
import { SqliteRuns } from './runs.js';
import { SqliteStats } from './stats.js';
import { SqliteTags } from './tags.js';
import { SqliteTasks } from './tasks.js';
import { SqliteWorkflows } from './workflows.js';
import { SqliteWorkflowVersions } from './workflow-versions.js';
import { SqliteRunCaches } from './run-caches.js';
import { SqliteConfigurations } from './configurations.js';
import { SqliteShares } from './shares.js';

/** The store on one SQLite file: the table families over one connection, its schema migrated at open. */
export class SqliteStore implements Store {
  readonly synchronous = true;
  readonly database: SqliteDatabase;
  readonly workflows: SqliteWorkflows;
  readonly versions: SqliteWorkflowVersions;
  readonly runCaches: SqliteRunCaches;
  readonly configurations: SqliteConfigurations;
  readonly shares: SqliteShares;
  readonly runGroups: SqliteRunGroups;
  readonly runs: SqliteRuns;
  readonly tasks: SqliteTasks;
  readonly tags: SqliteTags;
  readonly batches: SqliteBatches;
  readonly entries: SqliteBatchEntries;
  readonly events: SqliteEvents;
  readonly stats: SqliteStats;
  /** The schema version the file had when opened, and the one it has now. */
  readonly schema: { from: number; to: number };

  /**
   * With `backgroundCheckpoints`, WAL checkpoints run in a worker thread instead of inside commits.
   * `defaultAccountId` owns data written before accounts existed (default: the documented default account).
   */
  constructor(file: string, options: { backgroundCheckpoints?: boolean; defaultAccountId?: string } = {}) {
    this.database = new SqliteDatabase(file);
    try {
      this.schema = migrate(this.database.db, file, { defaultAccountId: options.defaultAccountId ?? DEFAULT_ACCOUNT_ID });
    } catch (err) {
      this.database.db.close();
      throw err;
    }
    if (options.backgroundCheckpoints) this.database.startBackgroundCheckpoints();
    const db = this.database;
    const state = new SqliteBatchState(db);
    this.workflows = new SqliteWorkflows(db);
    this.versions = new SqliteWorkflowVersions(db);
    this.runCaches = new SqliteRunCaches(db);
    this.configurations = new SqliteConfigurations(db);
    this.shares = new SqliteShares(db);
    this.runGroups = new SqliteRunGroups(db);
    this.tasks = new SqliteTasks(db);
    this.runs = new SqliteRuns(db, this.tasks, state);
    this.tags = new SqliteTags(db);
    this.batches = new SqliteBatches(db, state);
    this.entries = new SqliteBatchEntries(db, this.runs, state);
    this.events = new SqliteEvents(db);
    this.stats = new SqliteStats(db);
  }

  async findByRequest(kind: IdempotentKind, requestId: string, account: string) {
    return findByRequest(this.database, kind, requestId, account);
  }

  async getSecret(name: string, create: () => string): Promise<string> {
    return this.database.transaction(() => {
      const row = this.database.prepared('SELECT value FROM meta WHERE key = ?').get(`secret:${name}`) as Row | undefined;
      if (row) return row.value as string;
      const value = create();
      this.database.prepared('INSERT INTO meta (key, value) VALUES (?, ?)').run(`secret:${name}`, value);
      return value;
    });
  }

  close() {
    return this.database.close();
  }
}
