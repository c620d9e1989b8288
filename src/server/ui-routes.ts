import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PUBLIC } from './ops-routes.js';

/** Where `npm run build` puts the dashboard (vite's outDir), from this module in src/ or dist/. */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/**
 * The dashboard loads only its own files and calls only this origin; no other site may frame it
 * (clickjacking its cancel and delete buttons).
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** What the dashboard must know before its first call (docs/dashboard.md). */
export interface UiSettings {
  region: string;
  /** Whether requests must be signed: the dashboard then asks for an access key. */
  authentication: boolean;
}

/**
 * The dashboard at `/ui/` (docs/dashboard.md): static files built by `npm run build`, and its
 * settings. The pages themselves hold no data: everything they show comes from the API, signed with
 * the user's own access key when omicsd authenticates requests. A browser asking for `/` is sent
 * to the dashboard; API clients never ask for it.
 */
export async function uiRoutes(app: FastifyInstance, settings: UiSettings) {
  app.get('/ui/settings.json', { config: PUBLIC }, async (_req, reply) => reply.header('cache-control', 'no-store').send(settings));
  app.get('/ui', { config: PUBLIC }, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/', { config: PUBLIC }, async (req, reply) => {
    if (/text\/html/.test(req.headers.accept ?? '')) return reply.redirect('/ui/');
    // Anything else is answered as every path without an operation is.
    return reply.callNotFound();
  });
  if (!fs.existsSync(`${UI_DIR}index.html`)) {
    app.get('/ui/*', { config: PUBLIC }, async (_req, reply) =>
      reply.code(404).type('text/plain').send('The dashboard is not built: run `npm run build` in the omicsd folder.\n'));
    return;
  }
  // The static plugin's routes take no route options: they are marked public as they are added.
  app.addHook('onRoute', (route) => {
    if (route.url?.startsWith('/ui/')) route.config = { ...(route.config as object | undefined), ...PUBLIC };
  });
  await app.register(fastifyStatic, {
    root: UI_DIR, prefix: '/ui/', index: 'index.html', wildcard: true, serveDotFiles: false,
    // Built assets have content hashes in their names: they never change under the same name.
    setHeaders: (res, file) => {
      for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
