import { quotaExceeded, throttled } from './errors.js';

/** The account's "maximum runs" quota is full (docs/quotas.md); the same text on StartRun and on a batch entry. */
const runQuotaMessage = (maxRuns: number) => `The account already has the maximum of ${maxRuns} runs; delete runs to start more`;

export const runQuotaExceeded = (maxRuns: number) => quotaExceeded(runQuotaMessage(maxRuns));

/** How a batch entry that found the run quota full is recorded. */
export const runQuotaFailure = (maxRuns: number) => ({ reason: 'ServiceQuotaExceededException', message: runQuotaMessage(maxRuns) });

export const startRunThrottled = (rate: number) =>
  throttled(`Rate exceeded: StartRun is limited to ${rate} requests per second for this account`);
