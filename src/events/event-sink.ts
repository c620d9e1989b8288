import type { FormattedEvent } from './envelope.js';

/** Somewhere events go: a webhook, the events file, the metrics. */
export interface EventSink {
  /** Its name in the store's cursor table (`webhook:URL`, `file:PATH`). */
  readonly name: string;
  /**
   * Durable sinks resume from their cursor in the store after a restart (nothing lost, an event
   * possibly delivered twice with the same id); the others start at the newest event.
   */
  readonly durable: boolean;
  /** Delivers the events, in order per orderKey; resolves once all are delivered, rejects only when `signal` aborts. */
  deliver(events: FormattedEvent[], signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
