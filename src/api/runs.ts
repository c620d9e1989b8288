import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { notFound } from '../domain/errors.js';
import { runItem, runOut, taskDetailOut, taskOut } from './format.js';
import { type Route, definitionUrl, many, singleQuery } from './route.js';
import { GetRunQuery, ListRunTasksQuery, ListRunsQuery, StartRunInput } from './shapes.js';
import { id, parseInput } from './validation.js';

const RunLabel = z.object({ id: id() });
const TaskLabel = z.object({ id: id(), taskId: id() });
const DEFAULT_PAGE = 100;

export const runRoutes: Route[] = [
  {
    operation: 'StartRun', method: 'POST', path: '/run', status: 201,
    async handler(req, s) {
      const run = await s.runs.startRun(parseInput(StartRunInput, req.body), req.body);
      return {
        arn: arnOf(s.config, 'run', run.id), id: run.id, status: run.status, tags: run.tags, uuid: run.uuid,
        runOutputUri: run.runOutputUri, networkingMode: run.extra.networkingMode,
        configuration: run.extra.configurationName ? { name: run.extra.configurationName } : undefined,
      };
    },
  },
  {
    operation: 'GetRun', method: 'GET', path: '/run/:id', status: 200,
    async handler(req, s) {
      const { id: runId } = parseInput(RunLabel, req.params);
      const q = parseInput(GetRunQuery, { export: many(req.query.export) });
      const run = await s.store.getRun(runId);
      if (!run) throw notFound(`Run ${runId} not found`);
      return { ...runOut(s.config, run), definition: q.export?.includes('DEFINITION') ? definitionUrl(req, run.workflowId) : undefined };
    },
  },
  {
    operation: 'ListRuns', method: 'GET', path: '/run', status: 200,
    async handler(req, s) {
      const q = parseInput(ListRunsQuery, singleQuery(req.query, ['name', 'runGroupId', 'batchId', 'startingToken', 'maxResults', 'status']));
      const filters = { name: q.name, runGroupId: q.runGroupId, batchId: q.batchId, status: q.status };
      const limit = q.maxResults ?? DEFAULT_PAGE;
      const after = s.tokens.read('ListRuns', filters, q.startingToken);
      const rows = q.status === 'DELETED' ? [] : await s.store.listRuns(filters, { after, limit: limit + 1 });
      const page = s.tokens.page('ListRuns', filters, rows, limit, (r) => Number(r.id));
      return { items: page.items.map((r) => runItem(s.config, r)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'CancelRun', method: 'POST', path: '/run/:id/cancel', status: 202,
    async handler(req, s) {
      await s.runs.cancelRun(parseInput(RunLabel, req.params).id);
    },
  },
  {
    operation: 'DeleteRun', method: 'DELETE', path: '/run/:id', status: 202,
    async handler(req, s) {
      await s.runs.deleteRun(parseInput(RunLabel, req.params).id);
    },
  },
  {
    operation: 'ListRunTasks', method: 'GET', path: '/run/:id/task', status: 200,
    async handler(req, s) {
      const { id: runId } = parseInput(RunLabel, req.params);
      const q = parseInput(ListRunTasksQuery, singleQuery(req.query, ['status', 'startingToken', 'maxResults']));
      if (!(await s.store.getRun(runId))) throw notFound(`Run ${runId} not found`);
      const limit = q.maxResults ?? DEFAULT_PAGE;
      const scope = { runId, status: q.status };
      const after = s.tokens.read('ListRunTasks', scope, q.startingToken);
      const rows = await s.store.listTasks(runId, { status: q.status }, { after, limit: limit + 1 });
      const page = s.tokens.page('ListRunTasks', scope, rows, limit, (t) => Number(t.id));
      return { items: page.items.map(taskOut), nextToken: page.nextToken };
    },
  },
  {
    operation: 'GetRunTask', method: 'GET', path: '/run/:id/task/:taskId', status: 200,
    async handler(req, s) {
      const { id: runId, taskId } = parseInput(TaskLabel, req.params);
      if (!(await s.store.getRun(runId))) throw notFound(`Run ${runId} not found`);
      const task = await s.store.getTask(runId, taskId);
      if (!task) throw notFound(`Task ${taskId} of run ${runId} not found`);
      return taskDetailOut(task);
    },
  },
];
