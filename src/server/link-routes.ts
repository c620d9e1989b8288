import type { FastifyInstance, FastifyReply } from 'fastify';
import { LinkRefused } from '../api/links.js';
import type { Services } from '../api/route.js';
import { PUBLIC } from './ops-routes.js';

const xmlError = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).type('application/xml').send(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);

/**
 * The presigned links omicsd serves itself (docs/workflows.md, "Definition and readme links"): no
 * SigV4 header, the signature is in the query; answered as S3 answers a presigned GET, errors in
 * S3's XML.
 */
export function linkRoutes(app: FastifyInstance, services: Services) {
  const serve = async (req: { url: string; query: unknown; params: unknown }, reply: FastifyReply) => {
    const { id, versionName, what } = req.params as { id: string; versionName?: string; what: string };
    try {
      services.links.verify(req.url.split('?')[0], req.query as Record<string, string>);
    } catch (err) {
      if (err instanceof LinkRefused) return xmlError(reply, 403, err.code, err.message);
      throw err;
    }
    const body = what === 'definition' || what === 'readme' ? await services.workflows.linked(id, versionName, what) : undefined;
    if (body === undefined) return xmlError(reply, 404, 'NoSuchKey', 'The specified key does not exist.');
    return reply.header('cache-control', 'private, no-store')
      .type(what === 'definition' ? 'application/zip' : 'text/markdown; charset=utf-8').send(body);
  };
  app.get('/links/workflow/:id/:what', { config: PUBLIC }, serve);
  app.get('/links/workflow/:id/version/:versionName/:what', { config: PUBLIC }, serve);
}
