/**
 * The dependency rules of omicsd's layout (docs/architecture.md), checked by `npm test` and CI.
 * Requests come in at the edges (cli, server, api) and go inward; nothing inward reaches back out.
 */
const EDGES = '^src/(api|server|cli)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-stays-inside',
      comment: 'The domain knows nothing of HTTP, the CLI or the API shapes: it owns its input types.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: EDGES },
    },
    {
      name: 'adapters-stay-inside',
      comment: 'Stores, executors, object stores, the settings reader, event sinks and metrics serve the domain, never the edges.',
      severity: 'error',
      from: { path: '^src/(store|executors|objectstore|settings|events|metrics)/' },
      to: { path: EDGES },
    },
    {
      name: 'object-store-is-standalone',
      comment: 'The object store has its own errors; the edge maps them to API errors.',
      severity: 'error',
      from: { path: '^src/objectstore/' },
      to: { path: '^src/(domain|store|executors|settings)/' },
    },
    {
      name: 'only-the-composition-root-picks-a-dialect',
      comment: 'Everything but the store itself and its opener works against the Store interface, so a second dialect is a sibling folder.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '^src/store/(sqlite|postgres)/' },
    },
    {
      name: 'domain-does-not-pick-an-executor',
      comment: 'The domain sees executors only through their interface.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/executors/', pathNot: '^src/executors/executor\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
