import type { FastifyInstance } from 'fastify';
import type { ServiceMetrics } from '../metrics/service-metrics.js';

/** What the operations endpoints read (docs/operations.md, "Health and metrics"). */
export interface OpsSources {
  version: string;
  /** This instance's id (several may share one store). */
  instance: string;
  metrics: ServiceMetrics;
  /** Each readiness check by name: undefined when it passes, else what is wrong. */
  readiness: () => Promise<Record<string, string | undefined>>;
}

/** Route option of the endpoints that take no credentials and no share of the API rate. */
export const PUBLIC = { public: true } as const;

/**
 * `/healthz` (the process answers), `/readyz` (the store answers, recovery done) and `/metrics`
 * (Prometheus text). None needs credentials or counts against the API rate, so a probe or a scrape
 * is never refused while the service works; none reveals more than counts and timings.
 */
export function opsRoutes(app: FastifyInstance, ops: OpsSources) {
  const started = Date.now();
  app.get('/healthz', { config: PUBLIC }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok', version: ops.version, instance: ops.instance, uptimeSeconds: Math.round((Date.now() - started) / 1000) }));
  app.get('/readyz', { config: PUBLIC }, async (_req, reply) => {
    let checks: Record<string, string | undefined>;
    try {
      checks = await ops.readiness();
    } catch (err) {
      checks = { store: `the store does not answer: ${(err as Error).message}`, recovery: undefined };
    }
    const failing = Object.entries(checks).filter(([, problem]) => problem !== undefined);
    return reply.code(failing.length ? 503 : 200).header('cache-control', 'no-store').send({
      status: failing.length ? 'not ready' : 'ready',
      checks: Object.fromEntries(Object.entries(checks).map(([name, problem]) => [name, problem ?? 'ok'])),
    });
  });
  app.get('/metrics', { config: PUBLIC }, async (_req, reply) =>
    reply.header('cache-control', 'no-store').type(ops.metrics.contentType).send(await ops.metrics.metrics()));
}
