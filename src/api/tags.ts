import { z } from 'zod';
import { parseInput } from '../domain/validation.js';
import { type Route, many } from './route.js';
import { ResourceArnLabel, TagResourceInput, UntagResourceQuery } from './shapes.js';

const ArnLabel = z.object({ resourceArn: ResourceArnLabel });
const arnOfRequest = (params: Record<string, string>) => parseInput(ArnLabel, params).resourceArn;

export const tagRoutes: Route[] = [
  {
    operation: 'TagResource', method: 'POST', path: '/tags/:resourceArn', status: 204,
    async handler(req, s) {
      const resourceArn = arnOfRequest(req.params);
      await s.tags.tag(req.account, resourceArn, parseInput(TagResourceInput, req.body).tags);
    },
  },
  {
    operation: 'UntagResource', method: 'DELETE', path: '/tags/:resourceArn', status: 204,
    async handler(req, s) {
      const resourceArn = arnOfRequest(req.params);
      await s.tags.untag(req.account, resourceArn, parseInput(UntagResourceQuery, { tagKeys: many(req.query.tagKeys) }).tagKeys);
    },
  },
  {
    operation: 'ListTagsForResource', method: 'GET', path: '/tags/:resourceArn', status: 200,
    async handler(req, s) {
      return { tags: await s.tags.list(req.account, arnOfRequest(req.params)) };
    },
  },
];
