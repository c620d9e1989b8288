import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { validationError } from '../domain/errors.js';
import { StartRunBatchInput } from '../domain/run-settings.js';
import { id, parseInput } from '../domain/validation.js';
import { batchItem, batchOut, entryOut, owned } from './format.js';
import { type Route, singleQuery } from './route.js';
import { BatchIdBody, ListBatchQuery, ListRunsInBatchQuery } from './shapes.js';

const BatchLabel = z.object({ batchId: id() });
const DEFAULT_PAGE = 100;

/** At most one filter per list call, as the batch API documents. */
function oneFilter(filters: Record<string, unknown>) {
  const given = Object.keys(filters).filter((k) => filters[k] !== undefined);
  if (given.length > 1) throw validationError(`Only one filter is supported per call; got ${given.join(', ')}`);
}

export const batchRoutes: Route[] = [
  {
    operation: 'StartRunBatch', method: 'POST', path: '/runBatch', status: 201, bodyLimit: 16 * 1024 * 1024,
    async handler(req, s) {
      const b = await s.batches.start(req.account, parseInput(StartRunBatchInput, req.body), req.body, req.principal);
      return { id: b.id, arn: arnOf(owned(s.config, b), 'runBatch', b.id), status: b.status, uuid: b.uuid, tags: b.tags };
    },
  },
  {
    operation: 'GetBatch', method: 'GET', path: '/runBatch/:batchId', status: 200,
    async handler(req, s) {
      const { batchId } = parseInput(BatchLabel, req.params);
      return batchOut(s.config, await s.batches.get(req.account, batchId));
    },
  },
  {
    operation: 'ListBatch', method: 'GET', path: '/runBatch', status: 200,
    async handler(req, s) {
      const q = parseInput(ListBatchQuery, singleQuery(req.query, ['maxItems', 'startingToken', 'status', 'name', 'runGroupId']));
      const filters = { status: q.status, name: q.name, runGroupId: q.runGroupId };
      oneFilter(filters);
      const page = await s.tokens.list('ListBatch', { account: req.account, ...filters }, { startingToken: q.startingToken, limit: q.maxItems ?? DEFAULT_PAGE },
        (p) => s.batches.list({ account: req.account, ...filters }, p), (b) => Number(b.id));
      return { items: page.items.map(batchItem), nextToken: page.nextToken };
    },
  },
  {
    operation: 'CancelRunBatch', method: 'POST', path: '/runBatch/cancel', status: 202,
    async handler(req, s) {
      await s.batches.cancel(req.account, parseInput(BatchIdBody, req.body).batchId);
    },
  },
  {
    operation: 'DeleteRunBatch', method: 'POST', path: '/runBatch/delete', status: 202,
    async handler(req, s) {
      await s.batches.deleteRuns(req.account, parseInput(BatchIdBody, req.body).batchId);
    },
  },
  {
    operation: 'DeleteBatch', method: 'DELETE', path: '/runBatch/:batchId', status: 202,
    async handler(req, s) {
      await s.batches.deleteBatch(req.account, parseInput(BatchLabel, req.params).batchId);
    },
  },
  {
    operation: 'ListRunsInBatch', method: 'GET', path: '/runBatch/:batchId/run', status: 200,
    async handler(req, s) {
      const { batchId } = parseInput(BatchLabel, req.params);
      const q = parseInput(ListRunsInBatchQuery, singleQuery(req.query, ['maxItems', 'startingToken', 'submissionStatus', 'runSettingId', 'runId']));
      const filters = { submissionStatus: q.submissionStatus, runSettingId: q.runSettingId, runId: q.runId };
      oneFilter(filters);
      const batch = await s.batches.get(req.account, batchId);
      const page = await s.tokens.list('ListRunsInBatch', { account: req.account, batchId, ...filters }, { startingToken: q.startingToken, limit: q.maxItems ?? DEFAULT_PAGE },
        (p) => s.batches.listRuns(req.account, batchId, filters, p), (e) => e.seq);
      return { runs: page.items.map((e) => entryOut(s.config, batch, e)), nextToken: page.nextToken };
    },
  },
];
