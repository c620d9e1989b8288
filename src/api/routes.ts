import { batchRoutes } from './batches.js';
import type { Route } from './route.js';
import { runGroupRoutes } from './run-groups.js';
import { runRoutes } from './runs.js';
import { tagRoutes } from './tags.js';
import { workflowRoutes } from './workflows.js';
import { workflowVersionRoutes } from './workflow-versions.js';
import { runCacheRoutes } from './run-caches.js';
import { configurationRoutes } from './configurations.js';
import { shareRoutes } from './shares.js';

/** Every operation omicsd serves (docs/api.md). */
export const routes: Route[] = [
  ...batchRoutes, ...runRoutes, ...workflowRoutes, ...workflowVersionRoutes, ...runGroupRoutes, ...runCacheRoutes, ...configurationRoutes,
  ...shareRoutes, ...tagRoutes,
];
