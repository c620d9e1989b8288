import type { IdempotentKind, Store } from '../store.js';
import type { Row } from '../sql-common.js';
import { PgBatchEntries } from './batch-entries.js';
import { PgBatchState } from './batch-state.js';
import { PgBatches } from './batches.js';
import { PgConfigurations } from './configurations.js';
import { PgCoordination } from './coordination.js';
import { PgDatabase } from './database.js';
import { PgEvents } from './events.js';
import { findByRequest } from './idempotency.js';
import { migratePg } from './migrations.js';
import { PgRunCaches } from './run-caches.js';
import { PgRunGroups } from './run-groups.js';
import { PgRuns } from './runs.js';
import { PgShares } from './shares.js';
import { PgStats } from './stats.js';
import { PgTags } from './tags.js';
import { PgTasks } from './tasks.js';
import { PgWorkflowVersions } from './workflow-versions.js';
import { PgWorkflows } from './workflows.js';

/**
 * The store on a PostgreSQL database (docs/scale-out.md): the same table families as SQLite, over a
 * connection pool, and the coordination of several instances sharing it.
 */
export class PgStore implements Store {
  readonly synchronous = false;
  readonly workflows: PgWorkflows;
  readonly versions: PgWorkflowVersions;
  readonly runCaches: PgRunCaches;
  readonly configurations: PgConfigurations;
  readonly shares: PgShares;
  readonly runGroups: PgRunGroups;
  readonly runs: PgRuns;
  readonly tasks: PgTasks;
  readonly tags: PgTags;
  readonly batches: PgBatches;
  readonly entries: PgBatchEntries;
  readonly events: PgEvents;
  readonly stats: PgStats;
  readonly coordination: PgCoordination;

  private constructor(readonly database: PgDatabase, readonly schema: { from: number; to: number }) {
    const db = database;
    const state = new PgBatchState(db);
    this.workflows = new PgWorkflows(db);
    this.versions = new PgWorkflowVersions(db);
    this.runCaches = new PgRunCaches(db);
    this.configurations = new PgConfigurations(db);
    this.shares = new PgShares(db);
    this.runGroups = new PgRunGroups(db);
    this.tasks = new PgTasks(db);
    this.runs = new PgRuns(db, this.tasks, state);
    this.tags = new PgTags(db);
    this.batches = new PgBatches(db, state);
    this.entries = new PgBatchEntries(db, this.runs, state);
    this.events = new PgEvents(db);
    this.stats = new PgStats(db);
    this.coordination = new PgCoordination(db);
  }

  /** Connects and migrates the schema (once, when several instances start together). */
  static async open(url: string, options: { defaultAccountId: string }): Promise<PgStore> {
    const database = new PgDatabase(url);
    try {
      const client = await database.pool.connect();
      try {
        return new PgStore(database, await migratePg(client, options));
      } finally {
        client.release();
      }
    } catch (err) {
      await database.close();
      throw err;
    }
  }

  async findByRequest(kind: IdempotentKind, requestId: string, account: string) {
    return findByRequest(this.database, kind, requestId, account);
  }

  async getSecret(name: string, create: () => string): Promise<string> {
    return this.database.transaction(async () => {
      const row = await this.database.prepared('SELECT value FROM meta WHERE key = ?').get(`secret:${name}`) as Row | undefined;
      if (row) return row.value as string;
      const value = create();
      await this.database.prepared('INSERT INTO meta (key, value) VALUES (?, ?)').run(`secret:${name}`, value);
      return value;
    });
  }

  async close() {
    await this.database.close();
  }
}
