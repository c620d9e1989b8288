import type { Logger } from 'pino';
import type { CoordinationTable, InstanceInfo } from '../../store/store.js';
import type { EventLoopShare } from '../event-loop-share.js';
import { Loop } from '../loop.js';

/**
 * This instance's part in a deployment of several on one database (docs/scale-out.md): it
 * heartbeats, holds leases on the shared work it does (a batch's ingest, submission and walkers;
 * event delivery), and fences that work's writes with them. Alone on a SQLite store there is no one
 * to share with: every claim succeeds and a fenced step simply runs.
 */
export class Coordinator {
  private heartbeats: Loop | undefined;

  constructor(
    private table: CoordinationTable | undefined,
    readonly instance: InstanceInfo,
    readonly leaseMs: number,
    private share: EventLoopShare,
    private log: Logger,
  ) {}

  /** Whether other instances may share the store. */
  get shared() {
    return this.table !== undefined;
  }

  /** Registers the instance; from then on it heartbeats a few times per lease period. */
  async start() {
    const table = this.table;
    if (!table) return;
    await table.heartbeat(this.instance, this.leaseMs);
    this.heartbeats = new Loop('heartbeat', async () => {
      await table.heartbeat(this.instance, this.leaseMs);
      return false;
    }, this.share, this.log, Math.max(100, Math.floor(this.leaseMs / 3)));
    this.heartbeats.start();
  }

  /** Takes (or keeps) the lease on `resource`; false when another live instance holds it. */
  async claim(resource: string): Promise<boolean> {
    return this.table ? this.table.claim(resource, this.instance.id, this.leaseMs) : true;
  }

  /** Runs a step whose writes count only while this instance holds `resource` (LeaseLostError otherwise). */
  async fence<T>(resource: string, fn: () => Promise<T>): Promise<T> {
    return this.table ? this.table.fenced(resource, this.instance.id, fn) : fn();
  }

  /** Gives up its leases and leaves the registry (a clean stop): others take its work over at once. */
  async stop() {
    await this.heartbeats?.stop();
    if (!this.table) return;
    await this.table.release(this.instance.id);
    await this.table.leave(this.instance.id);
  }
}
