import { LeaseLostError, type CoordinationTable, type InstanceInfo, type InstanceStatus } from '../store.js';
import type { Row } from '../sql-common.js';
import type { PgDatabase } from './database.js';

/** The database's clock: instances on different machines compare lease and bucket times on one clock. */
const NOW = 'omicsd_now_ms()';
/** An instance that stopped, or whose last heartbeat is older than the lease period (one `?`: ms). */
const GONE = `i.stopped_at IS NOT NULL OR i.heartbeat_at < ${NOW} - ?`;
/** A run an executor is following (the runs_instance index covers these). */
const ACTIVE = `r.status IN ('STARTING','RUNNING','STOPPING')`;

/**
 * The instance registry, leases and shared StartRun buckets (docs/scale-out.md). Leases and buckets
 * are single conditional statements outside the write lock: a claim or a token take by one instance
 * never waits for another's submission transaction.
 */
export class PgCoordination implements CoordinationTable {
  constructor(private db: PgDatabase) {}

  async heartbeat(i: InstanceInfo, leaseMs: number) {
    await this.db.prepared(`INSERT INTO instances (id, host, pid, version, started_at, data_dir, executor, heartbeat_at, stopped_at)
        VALUES (@id, @host, @pid, @version, @startedAt, @dataDir, @executor, ${NOW}, NULL)
        ON CONFLICT (id) DO UPDATE SET host = @host, pid = @pid, version = @version, started_at = @startedAt, data_dir = @dataDir,
          executor = @executor, heartbeat_at = ${NOW}, stopped_at = NULL`)
      .run({ ...i });
    await this.db.prepared(`UPDATE leases SET lease_until = ${NOW} + ? WHERE lease_owner = ?`).run(leaseMs, i.id);
  }

  async abandonedRuns(executor: string, leaseMs: number) {
    const rows = await this.db.prepared(`SELECT i.id, i.data_dir FROM instances i
        WHERE i.executor = ? AND (${GONE}) AND EXISTS (SELECT 1 FROM runs r WHERE r.instance_id = i.id AND ${ACTIVE})
        ORDER BY i.id`).all(executor, leaseMs) as Row[];
    return rows.map((r) => ({ instanceId: String(r.id), dataDir: String(r.data_dir) }));
  }

  async takeOverRuns(from: string, to: string, leaseMs: number) {
    // One statement: the instance's absence is checked where its runs are moved, so an instance that
    // heartbeats again (it restarted) keeps them, and two instances taking over move each run once.
    return (await this.db.prepared(`UPDATE runs r SET instance_id = ? WHERE r.instance_id = ? AND ${ACTIVE}
        AND EXISTS (SELECT 1 FROM instances i WHERE i.id = r.instance_id AND (${GONE})) RETURNING id`).pluck()
      .all(to, from, leaseMs) as number[]).map(String);
  }

  async claim(resource: string, owner: string, leaseMs: number) {
    const row = await this.db.prepared(`INSERT INTO leases (resource, lease_owner, lease_until) VALUES (@resource, @owner, ${NOW} + @ms)
        ON CONFLICT (resource) DO UPDATE SET lease_owner = @owner, lease_until = ${NOW} + @ms
        WHERE leases.lease_owner = @owner OR leases.lease_until < ${NOW}
        RETURNING lease_owner`).get({ resource, owner, ms: leaseMs }) as Row | undefined;
    return row?.lease_owner === owner;
  }

  async release(owner: string, resource?: string) {
    if (resource) await this.db.prepared('DELETE FROM leases WHERE resource = ? AND lease_owner = ?').run(resource, owner);
    else await this.db.prepared('DELETE FROM leases WHERE lease_owner = ?').run(owner);
  }

  async fenced<T>(resource: string, owner: string, fn: () => Promise<T>): Promise<T> {
    return this.db.transaction(async () => {
      // Inside the write lock: no other instance can take the lease over between this check and the commit.
      const held = await this.db.prepared('SELECT 1 FROM leases WHERE resource = ? AND lease_owner = ?').get(resource, owner);
      if (!held) throw new LeaseLostError(resource);
      return fn();
    });
  }

  async takeTokens(account: string, max: number, rate: number, burst: number) {
    // The row is made once per account; afterwards a refusal changes nothing.
    await this.db.prepared(`INSERT INTO rate_buckets (account, tokens, updated_ms) VALUES (?, ?, ${NOW}) ON CONFLICT DO NOTHING`).run(account, burst);
    // The level before the take is read under the row lock (FOR UPDATE) in the same statement, so
    // concurrent takes by several instances queue on the row and never grant the same token twice.
    // A take that waited for the lock re-reads the row but keeps the clock it read before waiting:
    // its time is never earlier than the row's, else the bucket's clock would step back and refill twice.
    const cur = `SELECT b.account, LEAST(@burst::float8, b.tokens + (c.now - b.updated_ms) * @rate::float8 / 1000) AS level, c.now
        FROM rate_buckets b, (SELECT ${NOW} AS now) t, LATERAL (SELECT GREATEST(t.now, b.updated_ms) AS now) c WHERE b.account = @account`;
    // 1e-9: refills summed in steps can land a hair below a whole token.
    const row = await this.db.prepared(`WITH cur AS (${cur} FOR UPDATE OF b)
        UPDATE rate_buckets r SET tokens = cur.level - LEAST(@max::float8, floor(cur.level + 1e-9)), updated_ms = cur.now
        FROM cur WHERE r.account = cur.account AND floor(cur.level + 1e-9) >= 1
        RETURNING LEAST(@max::float8, floor(cur.level + 1e-9)) AS granted, cur.now`).get({ account, max, rate, burst }) as Row | undefined;
    if (row) return { granted: Number(row.granted), at: Number(row.now), msUntilNext: 0 };
    const r = await this.db.prepared(cur).get({ account, rate, burst }) as Row;
    return { granted: 0, at: Number(r.now), msUntilNext: Math.max(1, Math.ceil(((1 - Number(r.level)) / rate) * 1000)) };
  }

  async giveBackTokens(account: string, n: number, burst: number) {
    if (n > 0) await this.db.prepared('UPDATE rate_buckets SET tokens = LEAST(?::float8, tokens + ?) WHERE account = ?').run(burst, n, account);
  }

  async instances(): Promise<InstanceStatus[]> {
    const rows = await this.db.prepared(`SELECT i.*, coalesce((SELECT string_agg(resource, ' ' ORDER BY resource) FROM leases l
        WHERE l.lease_owner = i.id AND l.lease_until > ${NOW}), '') AS held FROM instances i WHERE i.stopped_at IS NULL ORDER BY i.started_at, i.id`).all() as Row[];
    return rows.map((r) => ({
      id: r.id, host: r.host, pid: r.pid, version: r.version, startedAt: r.started_at, dataDir: r.data_dir, executor: r.executor,
      heartbeatAt: r.heartbeat_at,
      leases: r.held ? String(r.held).split(' ') : [],
    }));
  }

  async leave(instanceId: string) {
    await this.db.prepared(`UPDATE instances SET stopped_at = ${NOW} WHERE id = ?`).run(instanceId);
  }
}
