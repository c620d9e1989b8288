import { z } from 'zod';
import { notFound } from '../domain/errors.js';
import { arnOf } from '../domain/ids.js';
import { id, parseInput } from '../domain/validation.js';
import { owned, workflowItem, workflowOut } from './format.js';
import { type Route, definitionLink, many, readmeLink, singleQuery } from './route.js';
import { CreateWorkflowInput, GetWorkflowQuery, ListWorkflowsQuery, UpdateWorkflowInput } from './shapes.js';

const WorkflowLabel = z.object({ id: id() });

export const workflowRoutes: Route[] = [
  {
    operation: 'CreateWorkflow', method: 'POST', path: '/workflow', status: 201, bodyLimit: 8 * 1024 * 1024,
    async handler(req, s) {
      const wf = await s.workflows.create(req.account, parseInput(CreateWorkflowInput, req.body), req.body);
      return { arn: arnOf(owned(s.config, wf), 'workflow', wf.id), id: wf.id, status: wf.status, tags: wf.tags, uuid: wf.uuid };
    },
  },
  {
    operation: 'GetWorkflow', method: 'GET', path: '/workflow/:id', status: 200,
    async handler(req, s) {
      const { id: wfId } = parseInput(WorkflowLabel, req.params);
      const q = parseInput(GetWorkflowQuery, { ...singleQuery(req.query, ['type', 'workflowOwnerId']), export: many(req.query.export) });
      if (q.type === 'READY2RUN') throw notFound(`Ready2Run workflow ${wfId} not found`);
      const wf = await s.workflows.get(req.account, wfId, q.workflowOwnerId);
      // A workflow shared with the caller is not exported (docs/shares.md).
      const shared = q.workflowOwnerId !== undefined && q.workflowOwnerId !== req.account;
      const exported = q.export?.includes('DEFINITION') && wf.status !== 'CREATING' && !shared ? await definitionLink(s, wf.id, undefined, wf.doc.definitionUri) : undefined;
      return { ...workflowOut(s.config, wf), definition: exported, readme: await readmeLink(s, wf.id, undefined, wf.doc.readme) };
    },
  },
  {
    // Not an AWS operation: the download behind the `definition` link that export=DEFINITION returns.
    operation: 'GetWorkflowDefinition', method: 'GET', path: '/workflow/:id/definition', status: 200,
    async handler(req, s) {
      return s.workflows.definition(req.account, parseInput(WorkflowLabel, req.params).id);
    },
  },
  {
    operation: 'ListWorkflows', method: 'GET', path: '/workflow', status: 200,
    async handler(req, s) {
      const q = parseInput(ListWorkflowsQuery, singleQuery(req.query, ['type', 'name', 'startingToken', 'maxResults']));
      const filters = { name: q.name, type: q.type };
      const page = await s.tokens.list('ListWorkflows', { account: req.account, ...filters }, { startingToken: q.startingToken, limit: q.maxResults ?? 100 },
        (p) => s.workflows.list(req.account, filters, p), (w) => Number(w.id));
      return { items: page.items.map((w) => workflowItem(s.config, w)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'UpdateWorkflow', method: 'POST', path: '/workflow/:id', status: 202,
    async handler(req, s) {
      const { id: wfId } = parseInput(WorkflowLabel, req.params);
      await s.workflows.update(req.account, wfId, parseInput(UpdateWorkflowInput, req.body));
    },
  },
  {
    operation: 'DeleteWorkflow', method: 'DELETE', path: '/workflow/:id', status: 202,
    async handler(req, s) {
      await s.workflows.delete(req.account, parseInput(WorkflowLabel, req.params).id);
    },
  },
];
