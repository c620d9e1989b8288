import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { conflict, notFound } from '../domain/errors.js';
import { requestHash } from '../domain/hash.js';
import { createdRecord } from '../domain/idempotency.js';
import { runGroupOut } from './format.js';
import { type Route, singleQuery } from './route.js';
import { CreateRunGroupInput, ListByNameQuery, UpdateRunGroupInput } from './shapes.js';
import { id, parseInput } from './validation.js';

const GroupLabel = z.object({ id: id() });

export const runGroupRoutes: Route[] = [
  {
    operation: 'CreateRunGroup', method: 'POST', path: '/runGroup', status: 201,
    async handler(req, s) {
      const input = parseInput(CreateRunGroupInput, req.body);
      const res = await s.store.createRunGroup({
        name: input.name, maxCpus: input.maxCpus, maxRuns: input.maxRuns, maxDuration: input.maxDuration, maxGpus: input.maxGpus,
        creationTime: Date.now(), requestId: input.requestId, requestHash: requestHash(req.body), tags: input.tags ?? {},
      });
      const group = createdRecord(res, input.requestId);
      return { arn: arnOf(s.config, 'runGroup', group.id), id: group.id, tags: group.tags };
    },
  },
  {
    operation: 'GetRunGroup', method: 'GET', path: '/runGroup/:id', status: 200,
    async handler(req, s) {
      const { id: groupId } = parseInput(GroupLabel, req.params);
      const g = await s.store.getRunGroup(groupId);
      if (!g) throw notFound(`Run group ${groupId} not found`);
      return { ...runGroupOut(s.config, g), tags: g.tags };
    },
  },
  {
    operation: 'ListRunGroups', method: 'GET', path: '/runGroup', status: 200,
    async handler(req, s) {
      const q = parseInput(ListByNameQuery, singleQuery(req.query, ['name', 'startingToken', 'maxResults']));
      const filters = { name: q.name };
      const limit = q.maxResults ?? 100;
      const after = s.tokens.read('ListRunGroups', filters, q.startingToken);
      const rows = await s.store.listRunGroups(filters, { after, limit: limit + 1 });
      const page = s.tokens.page('ListRunGroups', filters, rows, limit, (g) => Number(g.id));
      return { items: page.items.map((g) => runGroupOut(s.config, g)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'UpdateRunGroup', method: 'POST', path: '/runGroup/:id', status: 202,
    async handler(req, s) {
      const { id: groupId } = parseInput(GroupLabel, req.params);
      if (!(await s.store.updateRunGroup(groupId, parseInput(UpdateRunGroupInput, req.body)))) throw notFound(`Run group ${groupId} not found`);
    },
  },
  {
    operation: 'DeleteRunGroup', method: 'DELETE', path: '/runGroup/:id', status: 202,
    async handler(req, s) {
      const { id: groupId } = parseInput(GroupLabel, req.params);
      const res = await s.store.deleteRunGroup(groupId);
      if (res === 'missing') throw notFound(`Run group ${groupId} not found`);
      if (res === 'active') throw conflict(`Run group ${groupId} has runs that are not finished`);
    },
  },
];
