/*
 * What the executor tests share: a LocalExecutor on a real store (SQLite, or PostgreSQL on a PostgreSQL test run) and FsObjectStore in temp
 * folders (runs started the way the scheduler starts them, every reported change applied to the
 * store), and which engines this machine has, known by probing them (engine-probe.ts) rather than by
 * their presence on PATH: a test whose engine is not installed is skipped naming the package to
 * install; one whose engine is installed but broken fails with the probe's message.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import type { RunRecord, RunTransition, TaskUpdate, WorkflowEngine } from '../../src/domain/model.js';
import type { WorkflowLanguage } from '../../src/domain/workflows/languages.js';
import { probeEngine, type ProbeResult } from '../../src/executors/local/engine-probe.js';
import { lookupEngine, type EngineCommands } from '../../src/executors/local/engines.js';
import { MARKER_ENV } from '../../src/executors/local/process-tree.js';
import { createLocalExecutor, type EngineExecutor, type LocalExecutorOptions } from '../../src/executors/local/index.js';
import { FsObjectStore, ObjectNotFoundError } from '../../src/objectstore/index.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../support/store.js';
import { ACCOUNT, ROLE } from '../support/client.js';
import { eventually } from '../support/wait.js';

/** How to install each engine the tests use (the Debian packages CI installs, .ci/run). */
export const INSTALL = {
  cwltool: 'apt-get install --no-install-recommends cwltool',
  'toil-cwl-runner': 'apt-get install --no-install-recommends toil',
  'toil-wdl-runner': 'apt-get install --no-install-recommends toil python3-wdlparse',
  miniwdl: 'pip install miniwdl (not a Debian package; its tasks need docker)',
  nextflow: 'install Nextflow (not a Debian package: a Java 17+ runtime and the nextflow launcher on PATH)',
} as const;
export type EngineName = keyof typeof INSTALL;

const LANGUAGE: Record<EngineName, [WorkflowLanguage, keyof EngineCommands]> = {
  cwltool: ['CWL', 'cwl'], 'toil-cwl-runner': ['CWL', 'toilCwl'], 'toil-wdl-runner': ['WDL', 'wdl'], miniwdl: ['WDL', 'wdl'], nextflow: ['NEXTFLOW', 'nextflow'],
};

export interface EngineState {
  installed: boolean;
  /** The probe's result, for an installed engine. */
  probe?: ProbeResult;
}

/** Each engine the tests use, looked up on PATH and probed (in parallel, once per test file). */
export const ENGINES: Record<EngineName, EngineState> = Object.fromEntries(await Promise.all(
  (Object.keys(INSTALL) as EngineName[]).map(async (name): Promise<[EngineName, EngineState]> => {
    const [language, option] = LANGUAGE[name];
    const hit = lookupEngine(language, { [option]: name });
    return [name, hit.found ? { installed: true, probe: await probeEngine(hit.adapter) } : { installed: false }];
  }),
)) as Record<EngineName, EngineState>;

/** The `skip` option of a test that needs `engine`: false when it is installed (working or not), else why and what to install. */
export const needs = (engine: EngineName): false | string => (ENGINES[engine].installed ? false : `${engine} is not installed: ${INSTALL[engine]}`);

/** Fails the test with the probe's message when `engine` is installed but broken. */
export function assertWorks(engine: EngineName) {
  const p = ENGINES[engine].probe;
  if (p && !p.ok) assert.fail(`${engine} is installed but broken:\n${p.error}\nfix: ${p.fix}`);
}

/** Whether `engine` is installed and its probe succeeded. */
export const works = (engine: EngineName) => ENGINES[engine].probe?.ok === true;

export interface Harness {
  root: string;
  dataDir: string;
  store: Store;
  objects: FsObjectStore;
  executor: EngineExecutor;
  transitions: RunTransition[];
  tasks: TaskUpdate[];
  logs: string[];
  /** Creates an ACTIVE workflow from a definition zip, as CreateWorkflow leaves it. */
  workflow(zip: Uint8Array, engine: WorkflowEngine, main: string): Promise<string>;
  /** Inserts a run and hands it to the executor as the scheduler does; returns it. */
  start(workflowId: string, parameters?: Record<string, unknown>): Promise<RunRecord>;
  /** Waits until the run's engine is done and everything reported is in the store. */
  settle(runId: string): Promise<RunRecord>;
  flush(): Promise<void>;
}

/** A fresh store, object store and executor; with `after`, a second executor on the first one's data (a restart). */
export async function harness(t: TestContext, opts: Partial<LocalExecutorOptions> = {}, after?: Harness): Promise<Harness> {
  const root = after?.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-local-'));
  const dataDir = path.join(root, 'data');
  const store = after?.store ?? await openTestStore(dataDir);
  const objects = after?.objects ?? new FsObjectStore(path.join(dataDir, 'objects'));
  const transitions: RunTransition[] = [];
  const tasks: TaskUpdate[] = [];
  const logs: string[] = [];
  let pending: Promise<unknown> = Promise.resolve();
  const apply = (changes: RunTransition[], taskUpdates: TaskUpdate[]) => {
    pending = pending.then(() => store.runs.applyTransitions(changes, taskUpdates));
  };
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const executor = createLocalExecutor({
    reporter: {
      transition(c) { transitions.push(c); apply([c], []); },
      task(u) { tasks.push(u); apply([], [u]); },
    },
    workflows: store.workflows, versions: store.versions, caches: store.runCaches, runs: store.runs, objects, dataDir, log, engines: {}, containers: false, killGraceMs: 2000, ...opts,
  }) as EngineExecutor;
  t.after(async () => {
    await executor.close();
    await pending;
    if (after) return;
    await objects.close();
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const h: Harness = {
    root, dataDir, store, objects, executor, transitions, tasks, logs,
    async workflow(zip, engine, main) {
      const res = await store.workflows.create({
        accountId: ACCOUNT, uuid: randomUUID(), status: 'ACTIVE', type: 'PRIVATE', name: 'wf', creationTime: Date.now(), tags: {},
        doc: { engine, main },
      }, Buffer.from(zip));
      return res.record.id;
    },
    async start(workflowId, parameters) {
      const res = await store.runs.insert({
        accountId: ACCOUNT, workflowId, workflowType: 'PRIVATE', roleArn: ROLE, priority: 0, parameters, outputUri: 's3://results/runs',
        tags: {}, extra: {}, uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://results/runs/',
      }, 0);
      assert.ok(res !== 'quota');
      const run = res.record;
      assert.deepEqual(await store.runs.markStarting([run.id]), [run.id]);
      executor.start({ ...run, status: 'STARTING' });
      return run;
    },
    async settle(runId) {
      await executor.settled(runId);
      await pending;
      return (await store.runs.get(runId, null))!;
    },
    flush: async () => {
      await pending;
    },
  };
  return h;
}

export const statusesOf = (h: Harness, runId: string) => h.transitions.filter((c) => c.runId === runId).map((c) => c.status);

export async function readObject(objects: FsObjectStore, bucket: string, key: string): Promise<string> {
  const { body } = await objects.read({ bucket, key });
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function keysUnder(objects: FsObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const o of objects.list(bucket, prefix)) keys.push(o.key);
  } catch (err) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
  }
  return keys.sort();
}

/** Polls `check` every 100 ms until it returns a value; an error it throws fails the wait at once. */
export const until = <T>(check: () => T | undefined | false, ms: number, what: string) => eventually(check, ms, what, { everyMs: 100, failFast: true });

/** Processes carrying a run's marker in their environment (Toil workers leave the engine's process group). */
export function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(`${MARKER_ENV}=${marker}\0`)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}
