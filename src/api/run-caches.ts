import { z } from 'zod';
import { arnOf } from '../domain/ids.js';
import { id, parseInput } from '../domain/validation.js';
import { owned, runCacheItem, runCacheOut } from './format.js';
import { type Route, singleQuery } from './route.js';
import { CreateRunCacheInput, ListRunCachesQuery, UpdateRunCacheInput } from './shapes.js';

const CacheLabel = z.object({ id: id() });

/** Run caches (docs/run-caches.md). */
export const runCacheRoutes: Route[] = [
  {
    operation: 'CreateRunCache', method: 'POST', path: '/runCache', status: 201,
    async handler(req, s) {
      const c = await s.runCaches.create(req.account, parseInput(CreateRunCacheInput, req.body), req.body);
      return { arn: arnOf(owned(s.config, c), 'runCache', c.id), id: c.id, status: c.status, tags: c.tags };
    },
  },
  {
    operation: 'GetRunCache', method: 'GET', path: '/runCache/:id', status: 200,
    async handler(req, s) {
      return runCacheOut(s.config, await s.runCaches.get(req.account, parseInput(CacheLabel, req.params).id));
    },
  },
  {
    operation: 'ListRunCaches', method: 'GET', path: '/runCache', status: 200,
    async handler(req, s) {
      const q = parseInput(ListRunCachesQuery, singleQuery(req.query, ['maxResults', 'startingToken']));
      const page = await s.tokens.list('ListRunCaches', { account: req.account }, { startingToken: q.startingToken, limit: q.maxResults ?? 100 },
        (p) => s.runCaches.list(req.account, p), (c) => Number(c.id));
      return { items: page.items.map((c) => runCacheItem(s.config, c)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'UpdateRunCache', method: 'POST', path: '/runCache/:id', status: 202,
    async handler(req, s) {
      await s.runCaches.update(req.account, parseInput(CacheLabel, req.params).id, parseInput(UpdateRunCacheInput, req.body));
    },
  },
  {
    operation: 'DeleteRunCache', method: 'DELETE', path: '/runCache/:id', status: 202,
    async handler(req, s) {
      await s.runCaches.delete(req.account, parseInput(CacheLabel, req.params).id);
    },
  },
];
