import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Logger } from 'pino';
import { cloudWatchLogs } from '../api/log-events.js';
import { routes } from '../api/routes.js';
import { DEFAULT_BODY_LIMIT, type ApiRequest, type Services } from '../api/route.js';
import { resolveTarget, targetErrorBody, type ResolvedTarget, type TargetService } from '../api/targets.js';
import { ERROR_STATUS, ServiceError, throttled, validationError, type ErrorType } from '../domain/errors.js';
import { AccountBuckets } from '../domain/token-bucket.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/validation.js';
import { ObjectStoreError } from '../objectstore/object-store.js';
import { SERVICE, SigV4Verifier, type PendingSignature } from './auth/sigv4-verifier.js';
import { RequestRefused, errorBody, rawErrorResponse } from './errors.js';
import { HostGuard, checkContentType } from './request-guards.js';
import { opsRoutes, type OpsSources } from './ops-routes.js';
import { linkRoutes } from './link-routes.js';
import type { EdgeSecurity } from './security.js';
import { uiRoutes, type UiSettings } from './ui-routes.js';

/** The largest body any operation takes; each route has its own limit below it (docs/quotas.md). */
const BODY_LIMIT = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
const HEADERS_TIMEOUT_MS = 10_000;

/** The API error an object-store failure reaches a client as (docs/errors.md). */
const OBJECT_ERROR_TYPE: Record<ObjectStoreError['kind'], ErrorType> = {
  NotFound: 'ResourceNotFoundException',
  AccessDenied: 'AccessDeniedException',
  InvalidRequest: 'ValidationException',
  Changed: 'ConflictException',
};

/** The awsJson1_1 services answered at `POST /` by X-Amz-Target (src/api/targets.ts, docs/api.md "Run logs"). */
const TARGET_SERVICES: readonly TargetService[] = [cloudWatchLogs];
const TARGET_MEDIA_TYPES = new Map(TARGET_SERVICES.map((t) => [t, new Set([t.contentType])]));

/** The health, metrics and dashboard endpoints beside the API (docs/operations.md, docs/dashboard.md). */
export interface OpsSurface {
  sources: OpsSources;
  ui: UiSettings;
}

/** Whether a request's route is one of the public ones (health, metrics, the dashboard's files): no credentials, no rate. */
const isPublic = (req: FastifyRequest) => (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;

/** An error in the AWS shape: omicsd's (restJson1), or that of `service` for its operations. */
function sendError(reply: FastifyReply, type: ErrorType | string, status: number, message: string, service?: TargetService) {
  if (!reply.hasHeader('x-amzn-RequestId')) reply.header('x-amzn-RequestId', randomUUID());
  if (service) {
    const e = service.error(type, status);
    return reply.code(e.status).header('x-amzn-errortype', e.type).type(service.contentType).send(targetErrorBody(e.type, message));
  }
  return reply
    .code(status)
    .header('x-amzn-errortype', type)
    .type('application/json')
    .send(errorBody(type, message));
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
  if (nestsDeeperThan(value)) throw validationError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/**
 * The restJson1 HTTP surface: routes purely on method and path, answers with the modelled status
 * codes and AWS-shaped errors. Besides, `POST /` answers the awsJson1_1 operations of TARGET_SERVICES
 * by their X-Amz-Target (CloudWatch Logs' GetLogEvents, for run logs). Before any route runs, every
 * request passes the edge checks of docs/security.md: Host and Origin name this service, a body is
 * JSON, and — with `--credentials` — a valid SigV4 signature for the operation's service, which names
 * the caller's account.
 */
export function buildApp(services: Services, log: Logger, security: EdgeSecurity = { listenHost: services.config.host, allowedHosts: services.config.allowedHosts ?? [] },
  ops?: OpsSurface) {
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A client has this long to send a whole request (headers and body); a slow sender is cut off
    // (408) rather than holding a socket and its buffered body (docs/quotas.md).
    requestTimeout: REQUEST_TIMEOUT_MS,
    // A request without Host is refused by HostGuard in the AWS error shape, not by Node's bare 400.
    http: { requireHostHeader: false },
    routerOptions: { maxParamLength: 4096, ignoreTrailingSlash: false },
    return503OnClosing: true,
    // The router's own refusals (a path that is not valid percent-encoding, a label over
    // maxParamLength) in the AWS shape rather than Fastify's.
    frameworkErrors: (err, _req, reply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, 'ValidationException', 414, 'The request path is too long');
      return sendError(reply, 'ValidationException', 400, 'The request path is not valid: check its percent-encoding');
    },
    // Requests Node's HTTP parser refuses never reach Fastify: answer them in the AWS shape too.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, type, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'RequestTimeoutException', 'The request was not received in time']
        : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'ValidationException', 'The request line and headers are too large']
        : [400, 'ValidationException', 'The request is not valid HTTP/1.1'] as const;
      if (socket.writable) socket.write(rawErrorResponse(status, http.STATUS_CODES[status] ?? 'Error', type, message));
      socket.destroy(err);
    },
  });
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  // A client that half-closes once its request is sent (a raw socket, `nc -N`) still gets its answer,
  // however long the store takes: Node would otherwise drop a request still in progress at the FIN.
  // (A property of every http.Server since Node 0.x, not in its type definitions.)
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const guard = new HostGuard(security.listenHost, security.allowedHosts, () => {
    const addr = app.server.address();
    return typeof addr === 'object' && addr ? addr.port : services.config.port;
  });
  const credentials = security.credentials;
  const verifier = credentials ? new SigV4Verifier({ region: services.config.region, lookup: (id) => credentials.lookup(id) }) : undefined;
  const pending = new WeakMap<object, PendingSignature>();
  const accounts = new WeakMap<object, string>();
  // The caller's principal ARN (GetRun's startedBy): the IAM user its access key stands for.
  const principals = new WeakMap<object, string>();
  // The awsJson1_1 service (and operation) a `POST /` names in X-Amz-Target, known before anything is checked.
  const targets = new WeakMap<object, ResolvedTarget>();
  /** The service whose error shape a request's errors take: that of an awsJson1_1 operation, else omicsd's. */
  const errorShape = (req: FastifyRequest) => {
    const t = targets.get(req);
    return t?.operation ? t.service : undefined;
  };
  const unknownOperation = (req: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, 'UnknownOperationException', ERROR_STATUS.UnknownOperationException, `No operation matches ${req.method} ${req.url.split('?')[0]}`);
  const apiRequest = (req: FastifyRequest, method: string): ApiRequest => ({
    host: req.headers.host ?? 'localhost',
    account: accounts.get(req) ?? services.config.accountId,
    principal: principals.get(req) ?? `arn:aws:iam::${services.config.accountId}:root`,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, string | string[]>,
    body: method === 'POST' ? decodeBody(req.body) : {},
  });
  app.removeAllContentTypeParsers();
  // The raw bytes are kept: JSON errors must be ours, and request signing covers the exact body.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Header-only checks come before the body is read: a refused client cannot make omicsd buffer one.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    const target = req.method === 'POST' && req.routeOptions.url === '/' ? resolveTarget(TARGET_SERVICES, req.headers['x-amz-target']) : undefined;
    if (target) targets.set(req, target);
    guard.check(req.raw.rawHeaders, req.headers);
    // An awsJson1_1 service's requests carry its own content type and are signed for its own name
    // (docs/security.md); every other request is HealthOmics'.
    checkContentType(req.headers, target ? TARGET_MEDIA_TYPES.get(target.service) : undefined);
    if (verifier && !isPublic(req)) {
      pending.set(req, verifier.precheck({ method: req.method, url: req.raw.url ?? req.url, rawHeaders: req.raw.rawHeaders }, target?.service.signingName ?? SERVICE));
    }
  });
  // The signature covers the exact body bytes, so it is checked once they are in.
  if (verifier) {
    app.addHook('preValidation', async (req) => {
      if (isPublic(req)) return;
      const p = pending.get(req);
      if (!p) throw new RequestRefused('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
      const credential = await verifier.verify(p, Buffer.isBuffer(req.body) ? req.body : undefined);
      accounts.set(req, credential.accountId);
      principals.set(req, `arn:aws:iam::${credential.accountId}:user/${credential.accessKeyId}`);
    });
  }
  // Every operation draws on its caller's account's request rate (docs/quotas.md); refused calls cost nothing.
  const apiRate = new AccountBuckets(services.config.apiRate, Math.max(1, Math.ceil(services.config.apiRate * 2)));
  app.addHook('preHandler', async (req) => {
    if (isPublic(req)) return;
    if (!apiRate.for(accounts.get(req) ?? services.config.accountId).tryTake()) {
      throw throttled(`Rate exceeded: at most ${services.config.apiRate} requests per second per account`);
    }
  });
  // One line per request at debug level: `--log-level debug` shows the traffic.
  app.addHook('onResponse', async (req, reply) => {
    if (isPublic(req)) return;
    const operation = targets.get(req)?.operation?.name ?? (req.routeOptions.config as { operation?: string } | undefined)?.operation;
    ops?.sources.metrics.observeRequest(operation ?? 'Unknown', reply.statusCode, reply.elapsedTime / 1000);
    log.debug({ operation, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10,
      requestId: reply.getHeader('x-amzn-RequestId') }, `${operation ?? req.method} ${reply.statusCode}`);
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      config: { operation: route.operation },
      bodyLimit: route.bodyLimit ?? DEFAULT_BODY_LIMIT,
      handler: async (req, reply) => {
        const out = await route.handler(apiRequest(req, route.method), services);
        reply.code(route.status);
        if (Buffer.isBuffer(out)) return reply.type('application/zip').send(out);
        if (out === undefined) return reply.send();
        return reply.type('application/json').send(JSON.stringify(out));
      },
    });
  }

  // awsJson1_1 operations: one path, the operation named by X-Amz-Target; an unknown one is answered as
  // an unknown method and path are.
  app.route({
    method: 'POST',
    url: '/',
    config: { operation: 'X-Amz-Target' },
    bodyLimit: DEFAULT_BODY_LIMIT,
    handler: async (req, reply) => {
      const target = targets.get(req);
      if (!target?.operation) return unknownOperation(req, reply);
      const out = await target.operation.handler(apiRequest(req, 'POST'), services);
      return reply.code(200).type(target.service.contentType).send(JSON.stringify(out));
    },
  });

  app.register(async (scope) => linkRoutes(scope, services));
  if (ops) {
    app.register(async (scope) => opsRoutes(scope, ops.sources));
    app.register(uiRoutes, ops.ui);
  }

  app.setNotFoundHandler(unknownOperation);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const shape = errorShape(req);
    if (err instanceof RequestRefused) {
      req.log.debug({ type: err.type, method: req.method, url: req.url }, `request refused: ${err.type}`);
      return sendError(reply, err.type, err.status, err.message, shape);
    }
    if (err instanceof ServiceError) return sendError(reply, err.type, err.status, err.message, shape);
    if (err instanceof ObjectStoreError) {
      const type = OBJECT_ERROR_TYPE[err.kind];
      return sendError(reply, type, ERROR_STATUS[type], err.message, shape);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = req.routeOptions.bodyLimit ?? BODY_LIMIT;
      // Read the rest of the body and discard it (the request timeout bounds how long) instead of
      // closing at once as Fastify would: a client still sending would be reset and lose this answer.
      reply.removeHeader('connection');
      req.raw.resume();
      return sendError(reply, 'ValidationException', 400, `The request body is larger than ${limit} bytes, the most this operation takes`, shape);
    }
    // The store is busy (another writer holds it) or out of space: the client may retry (docs/errors.md).
    if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED') {
      req.log.warn({ err, url: req.url }, 'store busy');
      return sendError(reply, 'ThrottlingException', 429, 'The service is busy; retry the request', shape);
    }
    if (err.code === 'SQLITE_FULL' || err.code === 'ENOSPC' || err.code === 'SQLITE_IOERR') {
      req.log.error({ err, url: req.url }, 'storage unavailable');
      return sendError(reply, 'ServiceUnavailableException', 503, 'The service cannot write its data right now; retry the request later', shape);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, 'ValidationException', 400, err.message, shape);
    req.log.error({ err, url: req.url }, 'request failed');
    return sendError(reply, 'InternalServerException', 500, 'The service hit an internal error; retry the request', shape);
  });
  return app;
}
