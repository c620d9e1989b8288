import { notFound } from '../domain/errors.js';
import { parseInput } from '../domain/validation.js';
import { versionArn, versionItem, versionOut } from './format.js';
import { type Route, definitionLink, many, readmeLink, singleQuery } from './route.js';
import {
  CreateWorkflowVersionInput, GetWorkflowVersionQuery, ListWorkflowVersionsQuery, UpdateWorkflowVersionInput, VersionLabel,
} from './shapes.js';
import { z } from 'zod';
import { id } from '../domain/validation.js';

const WorkflowLabel = z.object({ workflowId: id() });

/** Workflow versions (docs/workflow-versions.md). */
export const workflowVersionRoutes: Route[] = [
  {
    operation: 'CreateWorkflowVersion', method: 'POST', path: '/workflow/:workflowId/version', status: 201, bodyLimit: 8 * 1024 * 1024,
    async handler(req, s) {
      const { workflowId } = parseInput(WorkflowLabel, req.params);
      const v = await s.versions.create(req.account, workflowId, parseInput(CreateWorkflowVersionInput, req.body), req.body);
      return { arn: versionArn(s.config, v), workflowId: v.workflowId, versionName: v.versionName, status: v.status, tags: v.tags, uuid: v.uuid };
    },
  },
  {
    operation: 'GetWorkflowVersion', method: 'GET', path: '/workflow/:workflowId/version/:versionName', status: 200,
    async handler(req, s) {
      const { workflowId, versionName } = parseInput(VersionLabel, req.params);
      const q = parseInput(GetWorkflowVersionQuery, { ...singleQuery(req.query, ['type', 'workflowOwnerId']), export: many(req.query.export) });
      if (q.type === 'READY2RUN') throw notFound(`Ready2Run workflow ${workflowId} not found`);
      const v = await s.versions.get(req.account, workflowId, versionName, q.workflowOwnerId);
      // A workflow shared with the caller is not exported (docs/shares.md).
      const shared = q.workflowOwnerId !== undefined && q.workflowOwnerId !== req.account;
      const exported = q.export?.includes('DEFINITION') && v.status !== 'CREATING' && !shared ? await definitionLink(s, workflowId, versionName, v.doc.definitionUri) : undefined;
      return { ...versionOut(s.config, v), definition: exported, readme: await readmeLink(s, workflowId, versionName, v.doc.readme) };
    },
  },
  {
    operation: 'ListWorkflowVersions', method: 'GET', path: '/workflow/:workflowId/version', status: 200,
    async handler(req, s) {
      const { workflowId } = parseInput(WorkflowLabel, req.params);
      const q = parseInput(ListWorkflowVersionsQuery, singleQuery(req.query, ['type', 'workflowOwnerId', 'startingToken', 'maxResults']));
      if (q.type === 'READY2RUN') return { items: [] };
      const page = await s.tokens.list('ListWorkflowVersions', { account: req.account, workflowId, owner: q.workflowOwnerId },
        { startingToken: q.startingToken, limit: q.maxResults ?? 100 },
        (p) => s.versions.list(req.account, workflowId, p, q.workflowOwnerId), (v) => Number(v.id));
      return { items: page.items.map((v) => versionItem(s.config, v)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'UpdateWorkflowVersion', method: 'POST', path: '/workflow/:workflowId/version/:versionName', status: 202,
    async handler(req, s) {
      const { workflowId, versionName } = parseInput(VersionLabel, req.params);
      await s.versions.update(req.account, workflowId, versionName, parseInput(UpdateWorkflowVersionInput, req.body));
    },
  },
  {
    operation: 'DeleteWorkflowVersion', method: 'DELETE', path: '/workflow/:workflowId/version/:versionName', status: 202,
    async handler(req, s) {
      const { workflowId, versionName } = parseInput(VersionLabel, req.params);
      await s.versions.delete(req.account, workflowId, versionName);
    },
  },
];
