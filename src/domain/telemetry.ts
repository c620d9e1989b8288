/**
 * What the domain tells the metrics (docs/operations.md, "Health and metrics") as it happens; figures that the
 * store or the event stream already hold are read there instead.
 */
export interface Telemetry {
  /** A StartRun token was not there: a StartRun call refused (`StartRun`) or a batch's submission made to wait (`batch`). */
  startRunThrottled(source: 'StartRun' | 'batch'): void;
  /** Bytes of run settings read while ingesting a batch. */
  settingsBytesRead(bytes: number): void;
}

export const NO_TELEMETRY: Telemetry = { startRunThrottled() {}, settingsBytesRead() {} };
