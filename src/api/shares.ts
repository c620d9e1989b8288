import { parseInput } from '../domain/validation.js';
import { shareOut } from './format.js';
import { type Route, singleQuery } from './route.js';
import { CreateShareInput, ListSharesInput, ListSharesQuery, ShareLabel } from './shapes.js';

/** Workflow shares between accounts (docs/shares.md). */
export const shareRoutes: Route[] = [
  {
    operation: 'CreateShare', method: 'POST', path: '/share', status: 200,
    async handler(req, s) {
      const share = await s.shares.create(req.account, parseInput(CreateShareInput, req.body));
      return { shareId: share.id, status: share.status, shareName: share.name };
    },
  },
  {
    operation: 'GetShare', method: 'GET', path: '/share/:shareId', status: 200,
    async handler(req, s) {
      return { share: shareOut(await s.shares.get(req.account, parseInput(ShareLabel, req.params).shareId)) };
    },
  },
  {
    operation: 'ListShares', method: 'POST', path: '/shares', status: 200,
    async handler(req, s) {
      const input = parseInput(ListSharesInput, req.body);
      const q = parseInput(ListSharesQuery, singleQuery(req.query, ['nextToken', 'maxResults']));
      const page = await s.tokens.list('ListShares', { account: req.account, ...input }, { startingToken: q.nextToken, limit: q.maxResults ?? 100 },
        (p) => s.shares.list(req.account, input, p), (share) => share.seq);
      return { shares: page.items.map(shareOut), nextToken: page.nextToken };
    },
  },
  {
    operation: 'AcceptShare', method: 'POST', path: '/share/:shareId', status: 200,
    async handler(req, s) {
      return { status: await s.shares.accept(req.account, parseInput(ShareLabel, req.params).shareId) };
    },
  },
  {
    operation: 'DeleteShare', method: 'DELETE', path: '/share/:shareId', status: 200,
    async handler(req, s) {
      return { status: await s.shares.delete(req.account, parseInput(ShareLabel, req.params).shareId) };
    },
  },
];
