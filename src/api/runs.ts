import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { StartRunInput } from '../domain/run-settings.js';
import { id, parseInput } from '../domain/validation.js';
import { owned, runItem, runOut, taskDetailOut, taskOut } from './format.js';
import { type Route, definitionLink, many, singleQuery } from './route.js';
import { GetRunQuery, ListRunTasksQuery, ListRunsQuery } from './shapes.js';

const RunLabel = z.object({ id: id() });
const TaskLabel = z.object({ id: id(), taskId: id() });
const DEFAULT_PAGE = 100;

export const runRoutes: Route[] = [
  {
    operation: 'StartRun', method: 'POST', path: '/run', status: 201, bodyLimit: 4 * 1024 * 1024,
    async handler(req, s) {
      const run = await s.runs.startRun(req.account, parseInput(StartRunInput, req.body), req.body, req.principal);
      const conf = run.extra.configurationName ? await s.configurations.find(run.accountId, run.extra.configurationName) : undefined;
      return {
        arn: arnOf(owned(s.config, run), 'run', run.id), id: run.id, status: run.status, tags: run.tags, uuid: run.uuid,
        runOutputUri: run.runOutputUri, networkingMode: run.extra.networkingMode,
        configuration: run.extra.configurationName
          ? { name: run.extra.configurationName, arn: conf && arnOf(owned(s.config, conf), 'configuration', conf.name), uuid: conf?.uuid } : undefined,
      };
    },
  },
  {
    operation: 'GetRun', method: 'GET', path: '/run/:id', status: 200,
    async handler(req, s) {
      const { id: runId } = parseInput(RunLabel, req.params);
      const q = parseInput(GetRunQuery, { export: many(req.query.export) });
      const run = await s.runs.get(req.account, runId);
      const source = await s.runs.definitionSource(run);
      const conf = run.extra.configurationName ? await s.configurations.find(run.accountId, run.extra.configurationName) : undefined;
      return {
        ...runOut(s.config, run),
        // A run of a workflow shared with its account does not export the owner's definition (docs/shares.md).
        definition: q.export?.includes('DEFINITION') && source && !(run.extra.workflowOwnerId && run.extra.workflowOwnerId !== run.accountId)
          ? await definitionLink(s, run.workflowId, run.extra.workflowVersionName, source.definitionUri) : undefined,
        engineVersion: await s.runs.engineVersion(run),
        configuration: run.extra.configurationName
          ? { name: run.extra.configurationName, arn: conf && arnOf(owned(s.config, conf), 'configuration', conf.name), uuid: conf?.uuid } : undefined,
        vpcConfig: conf?.doc.runConfigurations.vpcConfig,
      };
    },
  },
  {
    operation: 'ListRuns', method: 'GET', path: '/run', status: 200,
    async handler(req, s) {
      const q = parseInput(ListRunsQuery, singleQuery(req.query, ['name', 'runGroupId', 'batchId', 'startingToken', 'maxResults', 'status']));
      const filters = { name: q.name, runGroupId: q.runGroupId, batchId: q.batchId, status: q.status };
      const page = await s.tokens.list('ListRuns', { account: req.account, ...filters }, { startingToken: q.startingToken, limit: q.maxResults ?? DEFAULT_PAGE },
        (p) => s.runs.list({ account: req.account, ...filters }, p), (r) => Number(r.id));
      return { items: page.items.map((r) => runItem(s.config, r)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'CancelRun', method: 'POST', path: '/run/:id/cancel', status: 202,
    async handler(req, s) {
      await s.runs.cancelRun(req.account, parseInput(RunLabel, req.params).id);
    },
  },
  {
    operation: 'DeleteRun', method: 'DELETE', path: '/run/:id', status: 202,
    async handler(req, s) {
      await s.runs.deleteRun(req.account, parseInput(RunLabel, req.params).id);
    },
  },
  {
    operation: 'ListRunTasks', method: 'GET', path: '/run/:id/task', status: 200,
    async handler(req, s) {
      const { id: runId } = parseInput(RunLabel, req.params);
      const q = parseInput(ListRunTasksQuery, singleQuery(req.query, ['status', 'startingToken', 'maxResults']));
      const page = await s.tokens.list('ListRunTasks', { account: req.account, runId, status: q.status }, { startingToken: q.startingToken, limit: q.maxResults ?? DEFAULT_PAGE },
        (p) => s.runs.listTasks(req.account, runId, { status: q.status }, p), (t) => Number(t.id));
      return { items: page.items.map(taskOut), nextToken: page.nextToken };
    },
  },
  {
    operation: 'GetRunTask', method: 'GET', path: '/run/:id/task/:taskId', status: 200,
    async handler(req, s) {
      const { id: runId, taskId } = parseInput(TaskLabel, req.params);
      return taskDetailOut(await s.runs.getTask(req.account, runId, taskId));
    },
  },
];
