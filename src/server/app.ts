import Fastify, { LogController, type FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { routes } from '../api/routes.js';
import type { ApiRequest, Services } from '../api/route.js';
import { ERROR_STATUS, ServiceError, validationError, type ErrorType } from '../domain/errors.js';
import { ObjectStoreError } from '../objectstore/object-store.js';

const BODY_LIMIT = 32 * 1024 * 1024;

/** The API error an object-store failure reaches a client as (docs/errors.md). */
const OBJECT_ERROR_TYPE: Record<ObjectStoreError['kind'], ErrorType> = {
  NotFound: 'ResourceNotFoundException',
  AccessDenied: 'AccessDeniedException',
  InvalidRequest: 'ValidationException',
  Changed: 'ConflictException',
};

function sendError(reply: FastifyReply, type: ErrorType | string, status: number, message: string) {
  return reply
    .code(status)
    .header('x-amzn-errortype', type)
    .type('application/json')
    .send(JSON.stringify({ __type: `com.amazonaws.omics#${type}`, message }));
}

/** A JSON object body, or `{}` when there is none; anything else is the client's error. */
function decodeBody(raw: unknown): Record<string, unknown> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw validationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw validationError('The request body must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * The restJson1 HTTP surface: routes purely on method and path (any Host, with or without the
 * `workflows-`/`tags-` prefix), answers with the modelled status codes and AWS-shaped errors.
 */
export function buildApp(services: Services, log: Logger) {
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 4096, ignoreTrailingSlash: false },
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  // The raw bytes are kept: JSON errors must be ours, and request signing covers the exact body.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-amzn-RequestId', randomUUID());
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (req, reply) => {
        const apiReq: ApiRequest = {
          host: req.headers.host ?? 'localhost',
          params: req.params as Record<string, string>,
          query: req.query as Record<string, string | string[]>,
          body: route.method === 'POST' ? decodeBody(req.body) : {},
        };
        const out = await route.handler(apiReq, services);
        reply.code(route.status);
        if (Buffer.isBuffer(out)) return reply.type('application/zip').send(out);
        if (out === undefined) return reply.send();
        return reply.type('application/json').send(JSON.stringify(out));
      },
    });
  }

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'UnknownOperationException', ERROR_STATUS.UnknownOperationException, `No operation matches ${req.method} ${req.url.split('?')[0]}`));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof ServiceError) return sendError(reply, err.type, err.status, err.message);
    if (err instanceof ObjectStoreError) {
      const type = OBJECT_ERROR_TYPE[err.kind];
      return sendError(reply, type, ERROR_STATUS[type], err.message);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, 'ValidationException', 400, `The request body is larger than ${BODY_LIMIT} bytes`);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, 'ValidationException', 400, err.message);
    req.log.error({ err, url: req.url }, 'request failed');
    return sendError(reply, 'InternalServerException', 500, 'The service hit an internal error; retry the request');
  });
  return app;
}
