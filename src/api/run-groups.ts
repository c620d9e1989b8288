import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { id, parseInput } from '../domain/validation.js';
import { owned, runGroupOut } from './format.js';
import { type Route, singleQuery } from './route.js';
import { CreateRunGroupInput, ListByNameQuery, UpdateRunGroupInput } from './shapes.js';

const GroupLabel = z.object({ id: id() });

export const runGroupRoutes: Route[] = [
  {
    operation: 'CreateRunGroup', method: 'POST', path: '/runGroup', status: 201,
    async handler(req, s) {
      const group = await s.runGroups.create(req.account, parseInput(CreateRunGroupInput, req.body), req.body);
      return { arn: arnOf(owned(s.config, group), 'runGroup', group.id), id: group.id, tags: group.tags };
    },
  },
  {
    operation: 'GetRunGroup', method: 'GET', path: '/runGroup/:id', status: 200,
    async handler(req, s) {
      const g = await s.runGroups.get(req.account, parseInput(GroupLabel, req.params).id);
      return { ...runGroupOut(s.config, g), tags: g.tags };
    },
  },
  {
    operation: 'ListRunGroups', method: 'GET', path: '/runGroup', status: 200,
    async handler(req, s) {
      const q = parseInput(ListByNameQuery, singleQuery(req.query, ['name', 'startingToken', 'maxResults']));
      const filters = { name: q.name };
      const page = await s.tokens.list('ListRunGroups', { account: req.account, ...filters }, { startingToken: q.startingToken, limit: q.maxResults ?? 100 },
        (p) => s.runGroups.list(req.account, filters, p), (g) => Number(g.id));
      return { items: page.items.map((g) => runGroupOut(s.config, g)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'UpdateRunGroup', method: 'POST', path: '/runGroup/:id', status: 202,
    async handler(req, s) {
      await s.runGroups.update(req.account, parseInput(GroupLabel, req.params).id, parseInput(UpdateRunGroupInput, req.body));
    },
  },
  {
    operation: 'DeleteRunGroup', method: 'DELETE', path: '/runGroup/:id', status: 202,
    async handler(req, s) {
      await s.runGroups.delete(req.account, parseInput(GroupLabel, req.params).id);
    },
  },
];
