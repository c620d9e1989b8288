import type { Logger } from 'pino';
import type { EventLoopShare } from '../domain/event-loop-share.js';
import { Loop } from '../domain/loop.js';
import type { EventTable } from '../store/store.js';
import type { EventFormatter, FormattedEvent } from './envelope.js';
import type { EventSink } from './event-sink.js';

/** Events read from the outbox per step of a sink. */
const READ_LIMIT = 500;
/** Delivered events deleted per prune step: a bounded write, so commits of the API and the pipeline get in between. */
const PRUNE_LIMIT = 5000;

/**
 * Moves events from the store's outbox to the sinks (docs/events.md). Each sink has its own loop and
 * position, so a dead webhook holds up nothing but itself; a durable sink's position is committed
 * after each delivered window. Events every sink has passed are deleted. With several instances on
 * one store, only the instance holding the `events` lease relays (`lease`); one that takes it over
 * resumes from the committed positions.
 */
export class OutboxRelay {
  private loops: Loop[] = [];
  private positions = new Map<string, number>();
  private abort = new AbortController();
  /** The last window read: sinks at the same position (the usual case) share one read and one formatting. */
  private window: { from: number; events: FormattedEvent[] } | undefined;
  /** Whether this instance held the relay's lease when last asked, and when that was. */
  private held = false;
  private checkedAt = 0;

  constructor(
    private events: EventTable,
    private sinks: EventSink[],
    private formatter: EventFormatter,
    private share: EventLoopShare,
    private log: Logger,
    private pollMs = 250,
    /** Takes or keeps the relay's lease (several instances); absent: this instance alone relays. */
    private lease?: () => Promise<boolean>,
  ) {}

  async start() {
    const durable = this.sinks.filter((s) => s.durable).map((s) => s.name);
    // Alone, cursors of sinks no longer configured are dropped; shared, another instance may still deliver to them.
    if (!this.lease) {
      const dropped = await this.events.dropCursorsExcept(durable);
      if (dropped.length) this.log.info({ sinks: dropped }, `events: no longer delivered to ${dropped.join(', ')} (not configured)`);
    }
    await this.loadPositions();
    for (const sink of this.sinks) this.loops.push(new Loop(`events:${sink.name}`, () => this.step(sink), this.share, this.log, this.pollMs));
    this.loops.push(new Loop('events:prune', () => this.prune(), this.share, this.log, 2000));
    for (const loop of this.loops) loop.start();
  }

  /** Where each sink resumes: a durable one at its committed cursor, the others at the newest event, whatever their past. */
  private async loadPositions() {
    const cursors = await this.events.cursors(this.sinks.filter((s) => s.durable).map((s) => s.name));
    const newest = await this.events.newest();
    for (const sink of this.sinks) this.positions.set(sink.name, sink.durable ? cursors.get(sink.name)! : newest);
    this.window = undefined;
  }

  /** Whether this instance relays now; the lease is asked at most once per poll period, and positions are reloaded when it is (re)gained. */
  private async relaying(): Promise<boolean> {
    if (!this.lease) return true;
    if (Date.now() - this.checkedAt < this.pollMs) return this.held;
    this.checkedAt = Date.now();
    const held = await this.lease();
    if (held && !this.held) await this.loadPositions();
    this.held = held;
    return held;
  }

  private async step(sink: EventSink): Promise<boolean> {
    if (!(await this.relaying())) return false;
    const from = this.positions.get(sink.name)!;
    if (this.window?.from !== from || !this.window.events.length) {
      this.window = { from, events: (await this.events.after(from, READ_LIMIT)).map((r) => this.formatter.format(r)) };
    }
    const rows = this.window.events;
    if (!rows.length) return false;
    try {
      await sink.deliver(rows, this.abort.signal);
    } catch (err) {
      if (this.abort.signal.aborted) return false;
      throw err;
    }
    const last = rows[rows.length - 1].seq;
    if (sink.durable) await this.events.advance(sink.name, last);
    this.positions.set(sink.name, last);
    return rows.length === READ_LIMIT;
  }

  /** How many events each durable sink has still to take (a dead webhook's grows). */
  async backlog(): Promise<Map<string, number>> {
    const newest = await this.events.newest();
    return new Map(this.sinks.filter((s) => s.durable).map((s) => [s.name, Math.max(0, newest - (this.positions.get(s.name) ?? newest))]));
  }

  private async prune(): Promise<boolean> {
    if (!(await this.relaying())) return false;
    const upTo = Math.min(...this.positions.values());
    if (!Number.isFinite(upTo)) return false;
    return (await this.events.prune(upTo, PRUNE_LIMIT)) === PRUNE_LIMIT;
  }

  async stop() {
    this.abort.abort();
    await Promise.all(this.loops.map((l) => l.stop()));
    for (const sink of this.sinks) await sink.close?.();
  }
}
