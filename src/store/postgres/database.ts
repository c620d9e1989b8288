import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';

export type Row = Record<string, any>;

// BIGINT ids, times and counts fit in a double (ids and milliseconds stay far below 2^53): read
// them as numbers, as the SQLite driver does, instead of node-postgres' default strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Every write transaction takes this transaction-scoped advisory lock first (see `transaction`). */
const WRITE_LOCK = 0x6f6d6963; // "omic"

/** The outcome of a write, in the SQLite driver's terms. */
export interface RunResult {
  changes: number;
}

/**
 * A statement written with `?` (positional) or `@name` (named, from one object) parameters, as the
 * SQLite family code writes them, turned into PostgreSQL's `$n` once per text.
 */
export class PgStatement {
  private readonly text: string;
  private readonly names: string[] | undefined;
  private pluckFirst = false;

  constructor(private db: PgDatabase, sql: string) {
    if (/@[A-Za-z_]/.test(sql)) {
      const names: string[] = [];
      this.text = sql.replace(/@([A-Za-z_]\w*)/g, (_, name: string) => {
        let i = names.indexOf(name);
        if (i < 0) i = names.push(name) - 1;
        return `$${i + 1}`;
      });
      this.names = names;
    } else {
      let n = 0;
      this.text = sql.replace(/\?/g, () => `$${++n}`);
    }
  }

  /** The first column of each row instead of the row. */
  pluck(): PgStatement {
    const s = Object.create(this) as PgStatement;
    s.pluckFirst = true;
    return s;
  }

  private values(params: unknown[]): unknown[] {
    if (this.names) {
      const named = (params[0] ?? {}) as Record<string, unknown>;
      return this.names.map((n) => {
        if (!(n in named)) throw new Error(`missing SQL parameter @${n}`);
        return named[n];
      });
    }
    return params;
  }

  private shape(row: Row | undefined) {
    if (!row || !this.pluckFirst) return row;
    return row[Object.keys(row)[0]];
  }

  async get(...params: unknown[]): Promise<any> {
    const res = await this.db.query(this.text, this.values(params));
    return this.shape(res.rows[0]);
  }

  async all(...params: unknown[]): Promise<any[]> {
    const res = await this.db.query(this.text, this.values(params));
    return res.rows.map((r) => this.shape(r));
  }

  async run(...params: unknown[]): Promise<RunResult> {
    const res = await this.db.query(this.text, this.values(params));
    return { changes: res.rowCount ?? 0 };
  }
}

interface TxContext {
  client: PoolClient;
  afterCommit: (() => void)[];
}

/**
 * A pool of PostgreSQL connections with the SQLite connection's contract: statements by text,
 * `transaction` as one atomic step (nested calls join the outer one), hooks run after commit, and
 * id sequences. Write transactions are serialised by one advisory lock, as SQLite's BEGIN
 * IMMEDIATE serialises them: the families' read-then-write steps stay as correct as they are there.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  private statements = new Map<string, PgStatement>();
  private tx = new AsyncLocalStorage<TxContext>();

  constructor(readonly url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: 'omicsd' });
    // An idle connection that the server drops (a restart, a failover) is replaced, not fatal.
    this.pool.on('error', () => undefined);
  }

  /** The statement for `sql`, converted once per text. */
  prepared(sql: string): PgStatement {
    let s = this.statements.get(sql);
    if (!s) {
      s = new PgStatement(this, sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs SQL on the current transaction's connection, or on any pooled one outside a transaction. */
  query<R extends QueryResultRow = Row>(text: string, values: unknown[] = []) {
    const ctx = this.tx.getStore();
    return ctx ? ctx.client.query<R>(text, values) : this.pool.query<R>(text, values);
  }

  get inTransaction() {
    return this.tx.getStore() !== undefined;
  }

  /** Runs `fn` as one write transaction; nested calls join the outer one. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.getStore()) return fn();
    const client = await this.pool.connect();
    const ctx: TxContext = { client, afterCommit: [] };
    let result: T;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      result = await this.tx.run(ctx, fn);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw err;
    }
    client.release();
    for (const hook of ctx.afterCommit) hook();
    return result;
  }

  /** Runs `hook` once the current transaction has committed (at once outside one); dropped if it rolls back. */
  onCommit(hook: () => void) {
    const ctx = this.tx.getStore();
    if (ctx) ctx.afterCommit.push(hook);
    else hook();
  }

  /** Reserves `count` consecutive ids of a sequence and returns the first. */
  async nextIds(name: string, count: number): Promise<number> {
    const row = await this.prepared('UPDATE sequences SET next_value = next_value + ? WHERE name = ? RETURNING next_value').get(count, name) as Row;
    return row.next_value - count;
  }

  async close() {
    await this.pool.end();
  }
}
