import { createHash, createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { FormattedEvent } from './envelope.js';
import type { EventSink } from './event-sink.js';

/** Ordering keys (batches) delivered side by side; each key's events go one after the other. */
const PARALLEL_KEYS = 8;
const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookOptions {
  url: string;
  /** `--event-webhook-secret`: each POST carries an HMAC-SHA256 signature made with it. */
  secret?: string;
  /** First retry delay; it doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  userAgent: string;
  /**
   * Waits for this POST's turn of the event loop (EventLoopShare.turn): deliveries take turns with
   * the batch pipeline and the scheduler instead of crowding them out.
   */
  turn?: () => Promise<void>;
}

/**
 * The `X-Omicsd-Signature` value of a body sent at `t` (Unix seconds): `t=<t>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. The time is signed with the body, so a captured request cannot be replayed later
 * as new (docs/events.md, "Verifying a webhook").
 */
export function signature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * POSTs each event as JSON to one URL (`--event-webhook`). Only a 2xx answer counts as delivered;
 * anything else (an error status, a refused connection, no answer within 10 s) is retried with
 * exponential backoff for as long as it takes, so a receiver down for an hour loses nothing. Events
 * of one batch are sent one at a time, in order; different batches go side by side.
 */
export class WebhookSink implements EventSink {
  readonly name: string;
  readonly durable = true;
  private failing = false;
  /** The URL as logs and metrics show it: a token in its user part or query stays out of them. */
  private shown: string;

  constructor(private o: WebhookOptions, private log: Logger, private onAttempt: (ok: boolean) => void = () => {}) {
    const u = new URL(o.url);
    this.shown = `${u.origin}${u.pathname}`;
    // Two URLs that differ only in what is hidden keep positions of their own.
    this.name = `webhook:${this.shown}#${createHash('sha256').update(o.url).digest('hex').slice(0, 8)}`;
  }

  async deliver(events: FormattedEvent[], signal: AbortSignal) {
    const byKey = new Map<string, FormattedEvent[]>();
    for (const e of events) {
      const list = byKey.get(e.orderKey);
      if (list) list.push(e);
      else byKey.set(e.orderKey, [e]);
    }
    const queues = [...byKey.values()];
    const worker = async () => {
      for (let q = queues.shift(); q; q = queues.shift()) for (const e of q) await this.post(e, signal);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_KEYS, queues.length) }, worker));
  }

  private async post(e: FormattedEvent, signal: AbortSignal) {
    const body = e.json;
    let delay = this.o.backoffMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      await this.o.turn?.();
      const problem = await this.attempt(e, body, signal);
      this.onAttempt(problem === undefined);
      if (problem === undefined) {
        if (this.failing) this.log.info({ webhook: this.shown }, `events: ${this.shown} answers again`);
        this.failing = false;
        return;
      }
      // One warning when a receiver starts failing, then quiet retries at debug level.
      const level = this.failing ? 'debug' : 'warn';
      this.failing = true;
      this.log[level]({ webhook: this.shown, eventId: e.event.id, attempt, problem },
        `events: ${this.shown} did not take event ${e.event.id} (${problem}); retrying in ${Math.round(delay)} ms`);
      await sleep(delay * (0.8 + Math.random() * 0.4), undefined, { signal });
      delay = Math.min(delay * 2, this.o.maxBackoffMs ?? 30_000);
    }
  }

  /** One POST; undefined when delivered, else what went wrong. */
  private async attempt(e: FormattedEvent, body: string, signal: AbortSignal): Promise<string | undefined> {
    const headers: Record<string, string> = {
      'content-type': 'application/json', 'user-agent': this.o.userAgent, 'x-omicsd-event-id': e.event.id,
    };
    if (this.o.secret) headers['x-omicsd-signature'] = signature(this.o.secret, Math.floor(Date.now() / 1000), body);
    try {
      const res = await fetch(this.o.url, {
        method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      // The answer's body is not needed; reading it frees the connection for the next event.
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      signal.throwIfAborted();
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (err as Error).message;
    }
  }
}
