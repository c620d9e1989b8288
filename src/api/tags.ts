import { z } from 'zod';
import { parseArn } from '../domain/ids.js';
import { notFound } from '../domain/errors.js';
import type { TaggableType } from '../store/store.js';
import { type Route, type Services, many } from './route.js';
import { ResourceArnLabel, TagResourceInput, UntagResourceQuery } from './shapes.js';
import { parseInput } from './validation.js';

const ArnLabel = z.object({ resourceArn: ResourceArnLabel });
const TAGGABLE = new Set<string>(['workflow', 'run', 'runGroup', 'runBatch']);

async function resolve(s: Services, params: Record<string, string>) {
  const { resourceArn } = parseInput(ArnLabel, params);
  const parsed = parseArn(s.config, resourceArn);
  const type = parsed && TAGGABLE.has(parsed.type) ? (parsed.type as TaggableType) : undefined;
  const tags = type && (await s.store.getTags(type, parsed!.id));
  if (!type || !tags) throw notFound(`Resource ${resourceArn} not found`);
  return { type, id: parsed!.id, tags };
}

export const tagRoutes: Route[] = [
  {
    operation: 'TagResource', method: 'POST', path: '/tags/:resourceArn', status: 204,
    async handler(req, s) {
      const r = await resolve(s, req.params);
      const { tags } = parseInput(TagResourceInput, req.body);
      await s.store.setTags(r.type, r.id, { ...r.tags, ...tags });
    },
  },
  {
    operation: 'UntagResource', method: 'DELETE', path: '/tags/:resourceArn', status: 204,
    async handler(req, s) {
      const r = await resolve(s, req.params);
      const { tagKeys } = parseInput(UntagResourceQuery, { tagKeys: many(req.query.tagKeys) });
      const next = { ...r.tags };
      for (const k of tagKeys) delete next[k];
      await s.store.setTags(r.type, r.id, next);
    },
  },
  {
    operation: 'ListTagsForResource', method: 'GET', path: '/tags/:resourceArn', status: 200,
    async handler(req, s) {
      return { tags: (await resolve(s, req.params)).tags };
    },
  },
];
