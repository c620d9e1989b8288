// `npm run test:postgres [-- FILES…]`: the test suite again, every server and in-process store on
// PostgreSQL (127.0.0.1:5432, or OMICSD_TEST_PG), one database per data dir; drops them all at the end.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dropTestDatabases } from '../test/support/store.js';

// What `npm test`'s shell glob test/*/*.test.ts names (Node 20's test runner takes no globs).
const every = () => fs.readdirSync('test').flatMap((dir) => {
  const folder = path.join('test', dir);
  return fs.statSync(folder).isDirectory() ? fs.readdirSync(folder).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(folder, f)) : [];
});
const args = process.argv.slice(2);
const files = args.length ? args : every();
await dropTestDatabases();
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit', env: { ...process.env, OMICSD_TEST_STORE: 'postgres' },
});
const dropped = await dropTestDatabases();
process.stdout.write(`dropped ${dropped} test databases\n`);
process.exit(res.status ?? 1);
