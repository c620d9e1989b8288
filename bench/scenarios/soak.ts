import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  CancelRunBatchCommand, CancelRunCommand, CreateRunGroupCommand, CreateWorkflowCommand, DeleteBatchCommand, DeleteRunBatchCommand,
  DeleteRunCommand, GetBatchCommand, GetRunCommand, GetRunGroupCommand, GetRunTaskCommand, GetWorkflowCommand, ListBatchCommand,
  ListRunGroupsCommand, ListRunsCommand, ListRunsInBatchCommand, ListRunTasksCommand, ListTagsForResourceCommand, ListWorkflowsCommand,
  OmicsClient, StartRunBatchCommand, StartRunCommand, TagResourceCommand, UntagResourceCommand, type RunStatus,
} from '@aws-sdk/client-omics';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { RssSampler, toMB } from '../lib/rss.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import { slope, summary } from '../lib/stats.js';
import { s3cp } from '../../test/support/cli.js';
import { REGION } from '../../test/support/client.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { sleep } from '../../test/support/wait.js';
import { cwlTool, definitionZip } from '../../test/support/workflows.js';
import { writeCredentials, type Key } from '../../test/security/helpers.js';
import type { Profile } from '../profile.js';

/**
 * Soak: a team of SDK clients, each its own OmicsClient signed with one of two accounts' keys, mixing
 * every operation for minutes against one server, with runs and batches submitted all along at a
 * realistic StartRun rate. Counts every request and every error, classifies the errors the API is
 * expected to return under such a mix, samples the server's RSS every few seconds.
 */

const KEYS: Key[] = [
  { accessKeyId: 'AKIASOAKTEAM0000001', secretAccessKey: 'soak-secret-one/0123456789abcdef', accountId: '111122223333' },
  { accessKeyId: 'AKIASOAKTEAM0000002', secretAccessKey: 'soak-secret-two/fedcba9876543210', accountId: '444455556666' },
];
/** omicsd's StartRun rate per account here: submission goes on at a rate a real deployment would set. */
const START_RUN_RATE = 200;
const SIM_RUN_MS = 200;
/** One call that takes longer than this is aborted, and counts as an unexpected error. */
const CALL_TIMEOUT_MS = 30_000;

const INPUTS = { sample: { type: 'string', inputBinding: { position: 1 } }, reads1: { type: 'string?' }, notes: { type: 'string?' } };
const DEFINITION = definitionZip({ 'main.cwl': cwlTool('echo', { inputs: INPUTS }) });
const TAG_KEYS = ['team', 'project', 'stage', 'owner', 'cost-center'];

type Family = 'reads' | 'writes' | 'batch calls';
const OPS = {
  // reads
  GetRun: 'reads', ListRuns: 'reads', ListRunTasks: 'reads', GetRunTask: 'reads', GetWorkflow: 'reads', ListWorkflows: 'reads',
  GetRunGroup: 'reads', ListRunGroups: 'reads', ListTagsForResource: 'reads',
  // writes
  CreateWorkflow: 'writes', CreateRunGroup: 'writes', StartRun: 'writes', CancelRun: 'writes', DeleteRun: 'writes',
  TagResource: 'writes', UntagResource: 'writes',
  // batch calls
  StartRunBatch: 'batch calls', GetBatch: 'batch calls', ListBatch: 'batch calls', ListRunsInBatch: 'batch calls',
  CancelRunBatch: 'batch calls', DeleteRunBatch: 'batch calls', DeleteBatch: 'batch calls',
} as const satisfies Record<string, Family>;
type Op = keyof typeof OPS;

/**
 * How often a client picks each operation (relative weights): mostly reads and polling, a steady trickle
 * of runs and small batches with their clean-up, workflows and run groups now and then. The settings-file
 * batches are on a clock instead (one per account every `fileEverySeconds`).
 */
const MIX: [Op, number][] = [
  ['GetRun', 10], ['ListRuns', 6], ['ListRunTasks', 4], ['GetRunTask', 3], ['GetWorkflow', 4], ['ListWorkflows', 3],
  ['GetRunGroup', 2], ['ListRunGroups', 2], ['ListTagsForResource', 3],
  ['StartRun', 4], ['CancelRun', 1.5], ['DeleteRun', 3], ['TagResource', 3], ['UntagResource', 2], ['CreateWorkflow', 0.1], ['CreateRunGroup', 0.2],
  ['GetBatch', 8], ['ListBatch', 2], ['ListRunsInBatch', 4], ['StartRunBatch', 0.3], ['CancelRunBatch', 0.3], ['DeleteRunBatch', 1.5], ['DeleteBatch', 1.5],
];
const MIX_TOTAL = MIX.reduce((a, [, w]) => a + w, 0);

/**
 * The errors this mix makes the API return by design: `why` if `err` from `op` is one, else undefined.
 * Everything else (any other type, another message, a 5xx, a timeout, a network error) is unexpected.
 */
function expectedError(op: Op, err: any): string | undefined {
  const name = String(err?.name);
  const msg = String(err?.message);
  // The client cancels one of its own runs that was active when it last looked; a simulated run lasts
  // ~0.3 s, so it may have COMPLETED (or FAILED) in between. A run cancelled twice would be a harness bug.
  if (op === 'CancelRun' && name === 'ConflictException' && /is in status (COMPLETED|FAILED) and cannot be cancelled/.test(msg)) return 'run finished before the cancel';
  // Same for a batch: it was PENDING/SUBMITTING/INPROGRESS when last polled and has been PROCESSED since.
  if (op === 'CancelRunBatch' && name === 'ConflictException' && /is in status PROCESSED; CancelRunBatch is allowed only in/.test(msg)) return 'batch processed before the cancel';
  // StartRun and batch submission share the account's StartRun bucket (docs/quotas.md); while a batch of the
  // account is SUBMITTING, the submitter drains it at exactly the rate, on purpose, and a direct StartRun
  // finds it empty. Only this bucket: the per-account request rate (--api-rate) must never throttle here.
  if (op === 'StartRun' && name === 'ThrottlingException' && /StartRun is limited to \d+ requests per second/.test(msg)) return 'StartRun bucket drained by batch submission';
  return undefined;
}

/** xorshift32: a reproducible mix per client. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface OpStats { calls: number; ok: number; ms: number[]; expected: Record<string, number>; unexpected: number }

/** Everything the clients record, shared. Latencies count only for calls started inside the window. */
class Recorder {
  readonly ops = new Map<Op, OpStats>();
  readonly unexpected: string[] = [];
  unexpectedCount = 0;
  windowStart = Infinity;
  windowEnd = Infinity;
  windowCalls = 0;
  totalCalls = 0;

  stats(op: Op): OpStats {
    let s = this.ops.get(op);
    if (!s) this.ops.set(op, (s = { calls: 0, ok: 0, ms: [], expected: {}, unexpected: 0 }));
    return s;
  }

  record(op: Op, start: number, ms: number, outcome: { ok: true } | { expected: string } | { error: string }) {
    const s = this.stats(op);
    s.calls++;
    this.totalCalls++;
    if (start >= this.windowStart && start < this.windowEnd) {
      s.ms.push(ms);
      this.windowCalls++;
    }
    if ('ok' in outcome) s.ok++;
    else if ('expected' in outcome) s.expected[outcome.expected] = (s.expected[outcome.expected] ?? 0) + 1;
    else {
      s.unexpected++;
      this.unexpectedCount++;
      if (this.unexpected.length < 20) this.unexpected.push(`${op}: ${outcome.error}`);
    }
  }
}

interface Account {
  key: Key;
  index: number;
  roleArn: string;
  /** ACTIVE workflows of the account (the shared one, and those clients created and saw ACTIVE). */
  workflows: { id: string; arn: string }[];
  runGroups: { id: string; arn: string }[];
  fileBatchDue: number;
  fileBatchActive: boolean;
  fileBatches: number;
}

interface KnownRun { id: string; arn: string; batchId?: string; status?: RunStatus | string }
interface KnownBatch { id: string; arn: string; status: string; file: boolean }

const ACTIVE_BATCH = new Set(['CREATING', 'PENDING', 'SUBMITTING', 'INPROGRESS', 'STOPPING', 'RUNS_DELETING']);
const ACTIVE_RUN = new Set(['PENDING', 'STARTING', 'RUNNING', 'STOPPING']);
const pick = <T>(r: () => number, xs: readonly T[]): T | undefined => (xs.length ? xs[Math.floor(r() * xs.length)] : undefined);
const removeFrom = <T>(xs: T[], x: T) => {
  const i = xs.indexOf(x);
  if (i >= 0) xs.splice(i, 1);
};

/** One member of the team: one OmicsClient, one sequential loop, only its own runs and batches to change. */
class TeamClient {
  private readonly r: () => number;
  private readonly client: OmicsClient;
  private readonly activeRuns: KnownRun[] = [];
  private readonly finishedRuns: KnownRun[] = [];
  /** Runs of its own batches (from ListRunsInBatch), most recent last; at most 100. */
  private readonly batchRuns: KnownRun[] = [];
  private readonly tasks: { runId: string; taskId: string }[] = [];
  private readonly batches: KnownBatch[] = [];
  private readonly myWorkflows: { id: string; arn: string }[] = [];
  private readonly pendingWorkflows: { id: string; arn: string }[] = [];
  private readonly myRunGroups: { id: string; arn: string }[] = [];
  private runSeq = 0;
  calls = 0;
  runsStarted = 0;
  batchesStarted = { inline: 0, file: 0, inlineEntries: 0, fileEntries: 0 };

  constructor(readonly n: number, readonly account: Account, url: string, private rec: Recorder, private p: Profile['soak'], private dir: string, private dataDir: string) {
    this.r = rng(0x5eed + n * 7919);
    this.client = new OmicsClient({ region: REGION, endpoint: url, disableHostPrefix: true, credentials: { accessKeyId: account.key.accessKeyId, secretAccessKey: account.key.secretAccessKey }, maxAttempts: 1 });
  }

  destroy() {
    this.client.destroy();
  }

  /** Times one call; an error is classified, never thrown. Resolves with the output, or undefined on an error. */
  private async call<T>(op: Op, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    this.calls++;
    const start = performance.now();
    try {
      const out = await send(AbortSignal.timeout(CALL_TIMEOUT_MS));
      this.rec.record(op, start, performance.now() - start, { ok: true });
      return out;
    } catch (err: any) {
      const why = expectedError(op, err);
      const status = err?.$metadata?.httpStatusCode;
      this.rec.record(op, start, performance.now() - start, why ? { expected: `${err.name}: ${why}` } : { error: `${err?.name ?? 'Error'}${status ? ` (${status})` : ''}: ${String(err?.message).slice(0, 300)}` });
      return undefined;
    }
  }

  private knownRuns(): KnownRun[] {
    return [...this.activeRuns, ...this.finishedRuns, ...this.batchRuns];
  }

  private workflow() {
    return pick(this.r, [...this.account.workflows, ...this.myWorkflows])!;
  }

  private runSetting(workflowId: string) {
    return { workflowId, roleArn: this.account.roleArn, outputUri: `s3://soak-out/c${this.n}/`, storageType: 'DYNAMIC' as const };
  }

  private forgetRun(run: KnownRun) {
    for (const list of [this.activeRuns, this.finishedRuns, this.batchRuns]) removeFrom(list, run);
    for (let i = this.tasks.length - 1; i >= 0; i--) if (this.tasks[i].runId === run.id) this.tasks.splice(i, 1);
  }

  /** One operation: the picked one if it applies to what this client has now, else false (pick again). */
  private async step(op: Op): Promise<boolean> {
    const c = this.client;
    const r = this.r;
    switch (op) {
      case 'GetRun': {
        // Mostly the client's own active runs (it waits for them), else any run it knows.
        const run = pick(r, this.activeRuns.length && r() < 0.7 ? this.activeRuns : this.knownRuns());
        if (!run) return false;
        const out = await this.call(op, (abortSignal) => c.send(new GetRunCommand({ id: run.id }), { abortSignal }));
        if (out?.status) {
          run.status = out.status;
          if (!ACTIVE_RUN.has(out.status) && this.activeRuns.includes(run)) {
            removeFrom(this.activeRuns, run);
            this.finishedRuns.push(run);
          }
        }
        return true;
      }
      case 'ListRuns': {
        const f = r();
        const mine = pick(r, this.batches);
        const filter = f < 0.25 ? {} : f < 0.45 ? { status: pick(r, ['RUNNING', 'COMPLETED', 'PENDING', 'CANCELLED'] as const) }
          : f < 0.65 && mine ? { batchId: mine.id } : f < 0.8 ? { runGroupId: pick(r, this.account.runGroups)!.id }
          : { name: `c${this.n}-r${Math.max(1, this.runSeq - Math.floor(r() * 5))}` };
        await this.call(op, (abortSignal) => c.send(new ListRunsCommand({ ...filter, maxResults: pick(r, [10, 20, 50, 100]) }), { abortSignal }));
        return true;
      }
      case 'ListRunTasks': {
        const run = pick(r, this.knownRuns());
        if (!run) return false;
        const out = await this.call(op, (abortSignal) => c.send(new ListRunTasksCommand({ id: run.id, maxResults: 20 }), { abortSignal }));
        for (const t of out?.items ?? []) if (t.taskId && !this.tasks.some((x) => x.taskId === t.taskId)) this.tasks.push({ runId: run.id, taskId: t.taskId });
        if (this.tasks.length > 20) this.tasks.splice(0, this.tasks.length - 20);
        return true;
      }
      case 'GetRunTask': {
        const t = pick(r, this.tasks);
        if (!t) return false;
        await this.call(op, (abortSignal) => c.send(new GetRunTaskCommand({ id: t.runId, taskId: t.taskId }), { abortSignal }));
        return true;
      }
      case 'GetWorkflow': {
        // A workflow this client created and has not yet seen ACTIVE first, else any of the account's.
        const pending = this.pendingWorkflows[0];
        const wf = pending ?? this.workflow();
        const out = await this.call(op, (abortSignal) => c.send(new GetWorkflowCommand({ id: wf.id }), { abortSignal }));
        if (pending && out?.status === 'ACTIVE') {
          this.pendingWorkflows.shift();
          this.myWorkflows.push(pending);
        }
        return true;
      }
      case 'ListWorkflows':
        await this.call(op, (abortSignal) => c.send(new ListWorkflowsCommand({ maxResults: pick(r, [10, 50, 100]), ...(r() < 0.3 ? { name: 'soak' } : {}) }), { abortSignal }));
        return true;
      case 'GetRunGroup': {
        const g = pick(r, [...this.account.runGroups, ...this.myRunGroups])!;
        await this.call(op, (abortSignal) => c.send(new GetRunGroupCommand({ id: g.id }), { abortSignal }));
        return true;
      }
      case 'ListRunGroups':
        await this.call(op, (abortSignal) => c.send(new ListRunGroupsCommand({ maxResults: pick(r, [10, 50, 100]), ...(r() < 0.3 ? { name: 'soak-shared' } : {}) }), { abortSignal }));
        return true;
      case 'ListTagsForResource': {
        const arn = this.taggable();
        await this.call(op, (abortSignal) => c.send(new ListTagsForResourceCommand({ resourceArn: arn }), { abortSignal }));
        return true;
      }
      case 'StartRun': {
        // A person waits for their runs and cleans up: at most 5 active and 20 finished, undeleted ones each.
        if (this.activeRuns.length >= 5 || this.finishedRuns.length >= 20) return false;
        const name = `c${this.n}-r${++this.runSeq}`;
        const group = r() < 0.3 ? pick(r, [...this.account.runGroups, ...this.myRunGroups]) : undefined;
        const out = await this.call(op, (abortSignal) => c.send(new StartRunCommand({
          ...this.runSetting(this.workflow().id), name, requestId: randomUUID(), runGroupId: group?.id, priority: Math.floor(r() * 3),
          parameters: { sample: `S-${this.n}-${this.runSeq}` }, ...(r() < 0.3 ? { tags: { owner: `c${this.n}` } } : {}),
        }), { abortSignal }));
        if (out?.id) {
          this.runsStarted++;
          this.activeRuns.push({ id: out.id, arn: out.arn!, status: out.status });
        }
        return true;
      }
      case 'CancelRun': {
        const run = pick(r, this.activeRuns);
        if (!run) return false;
        const out = await this.call(op, (abortSignal) => c.send(new CancelRunCommand({ id: run.id }), { abortSignal }));
        // Cancelled now, or (expected) finished meanwhile: either way it is over.
        removeFrom(this.activeRuns, run);
        this.finishedRuns.push(run);
        run.status = out ? 'CANCELLED' : run.status;
        return true;
      }
      case 'DeleteRun': {
        const run = pick(r, this.finishedRuns);
        if (!run) return false;
        this.forgetRun(run);
        await this.call(op, (abortSignal) => c.send(new DeleteRunCommand({ id: run.id }), { abortSignal }));
        return true;
      }
      case 'TagResource': {
        const arn = this.taggable();
        const k = pick(r, TAG_KEYS)!;
        await this.call(op, (abortSignal) => c.send(new TagResourceCommand({ resourceArn: arn, tags: { [k]: `v${Math.floor(r() * 1000)}`, touchedBy: `c${this.n}` } }), { abortSignal }));
        return true;
      }
      case 'UntagResource': {
        const arn = this.taggable();
        await this.call(op, (abortSignal) => c.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [pick(r, TAG_KEYS)!] }), { abortSignal }));
        return true;
      }
      case 'CreateWorkflow': {
        const out = await this.call(op, (abortSignal) => c.send(new CreateWorkflowCommand({ name: `soak-c${this.n}`, requestId: randomUUID(), definitionZip: DEFINITION }), { abortSignal }));
        if (out?.id) this.pendingWorkflows.push({ id: out.id, arn: out.arn! });
        return true;
      }
      case 'CreateRunGroup': {
        const out = await this.call(op, (abortSignal) => c.send(new CreateRunGroupCommand({ name: `soak-c${this.n}`, requestId: randomUUID(), maxRuns: 1000 }), { abortSignal }));
        if (out?.id) this.myRunGroups.push({ id: out.id, arn: out.arn! });
        return true;
      }
      case 'StartRunBatch': {
        if (this.batches.length >= 3) return false;
        const size = 10 + Math.floor(r() * 91);
        const group = r() < 0.3 ? pick(r, this.account.runGroups) : undefined;
        const first = 1 + Math.floor(r() * 1e6);
        const inline = Array.from({ length: size }, (_, i) => JSON.parse(smallEntry(first + i)));
        const out = await this.call(op, (abortSignal) => c.send(new StartRunBatchCommand({
          batchName: `c${this.n}-inline`, requestId: randomUUID(), defaultRunSetting: { ...this.runSetting(this.workflow().id), runGroupId: group?.id },
          batchRunSettings: { inlineSettings: inline }, ...(r() < 0.3 ? { tags: { owner: `c${this.n}` } } : {}),
        }), { abortSignal }));
        if (out?.id) {
          this.batchesStarted.inline++;
          this.batchesStarted.inlineEntries += size;
          this.batches.push({ id: out.id, arn: out.arn!, status: out.status ?? 'CREATING', file: false });
        }
        return true;
      }
      case 'GetBatch': {
        const b = pick(r, this.batches.filter((x) => ACTIVE_BATCH.has(x.status))) ?? pick(r, this.batches);
        if (!b) return false;
        await this.pollBatch(b);
        return true;
      }
      case 'ListBatch':
        await this.call(op, (abortSignal) => c.send(new ListBatchCommand({ maxItems: pick(r, [10, 20, 50]), ...(r() < 0.4 ? { status: pick(r, ['INPROGRESS', 'PROCESSED', 'SUBMITTING'] as const) } : {}) }), { abortSignal }));
        return true;
      case 'ListRunsInBatch': {
        // Not on a batch whose runs this client asked to delete (their runs would be gone).
        const b = pick(r, this.batches.filter((x) => !['RUNS_DELETING', 'RUNS_DELETED'].includes(x.status)));
        if (!b) return false;
        const out = await this.call(op, (abortSignal) => c.send(new ListRunsInBatchCommand({ batchId: b.id, maxItems: pick(r, [20, 50, 100]), ...(r() < 0.3 ? { submissionStatus: 'SUCCESS' as const } : {}) }), { abortSignal }));
        for (const e of out?.runs ?? []) {
          if (e.runId && e.runArn && !this.batchRuns.some((x) => x.id === e.runId)) this.batchRuns.push({ id: e.runId, arn: e.runArn, batchId: b.id });
        }
        if (this.batchRuns.length > 100) for (const run of this.batchRuns.slice(0, this.batchRuns.length - 100)) this.forgetRun(run);
        return true;
      }
      case 'CancelRunBatch': {
        const b = pick(r, this.batches.filter((x) => ['PENDING', 'SUBMITTING', 'INPROGRESS'].includes(x.status)));
        if (!b) return false;
        const out = await this.call(op, (abortSignal) => c.send(new CancelRunBatchCommand({ batchId: b.id }), { abortSignal }));
        b.status = out ? 'STOPPING' : 'PROCESSED';
        return true;
      }
      case 'DeleteRunBatch': {
        const b = pick(r, this.batches.filter((x) => x.status === 'PROCESSED' || x.status === 'CANCELLED'));
        if (!b) return false;
        for (const run of this.batchRuns.filter((x) => x.batchId === b.id)) this.forgetRun(run);
        b.status = 'RUNS_DELETING';
        await this.call(op, (abortSignal) => c.send(new DeleteRunBatchCommand({ batchId: b.id }), { abortSignal }));
        return true;
      }
      case 'DeleteBatch': {
        // Mostly once its runs are deleted; a small inline batch now and then with its runs kept.
        const b = pick(r, this.batches.filter((x) => x.status === 'RUNS_DELETED' || (!x.file && x.status === 'PROCESSED' && r() < 0.2)));
        if (!b) return false;
        removeFrom(this.batches, b);
        for (const run of this.batchRuns.filter((x) => x.batchId === b.id)) this.forgetRun(run);
        await this.call(op, (abortSignal) => c.send(new DeleteBatchCommand({ batchId: b.id }), { abortSignal }));
        return true;
      }
    }
  }

  private async pollBatch(b: KnownBatch) {
    const out = await this.call('GetBatch', (abortSignal) => this.client.send(new GetBatchCommand({ batchId: b.id }), { abortSignal }));
    if (out?.status) {
      b.status = out.status;
      if (b.file && !ACTIVE_BATCH.has(out.status) && this.account.fileBatchActive) {
        this.account.fileBatchActive = false;
        this.account.fileBatchDue = Math.max(this.account.fileBatchDue, performance.now());
      }
    }
  }

  /** An ARN this client may tag: the account's workflows and run groups, its own live runs and batches. */
  private taggable(): string {
    const pool = [
      ...this.account.workflows, ...this.myWorkflows, ...this.account.runGroups, ...this.myRunGroups,
      ...this.activeRuns, ...this.finishedRuns, ...this.batchRuns.slice(-10), ...this.batches,
    ];
    return pick(this.r, pool)!.arn;
  }

  /** The account's settings-file batch, when it is due: a fresh file of a few thousand entries, copied into the embedded store. */
  private async fileBatch() {
    const a = this.account;
    a.fileBatchActive = true;
    a.fileBatches++;
    const [lo, hi] = this.p.fileEntries;
    const n = lo + Math.floor(this.r() * (hi - lo + 1));
    const name = `a${a.index}-${a.fileBatches}.json`;
    const file = path.join(this.dir, name);
    writeSettingsFile(file, n, smallEntry, 1);
    await s3cp(file, `s3://soak-in/${name}`, this.dataDir);
    fs.rmSync(file);
    const out = await this.call('StartRunBatch', (abortSignal) => this.client.send(new StartRunBatchCommand({
      batchName: `c${this.n}-sheet-${a.fileBatches}`, requestId: randomUUID(), defaultRunSetting: this.runSetting(a.workflows[0].id),
      batchRunSettings: { s3UriSettings: `s3://soak-in/${name}` },
    }), { abortSignal }));
    a.fileBatchDue = performance.now() + this.p.fileEverySeconds * 1000;
    if (!out?.id) {
      a.fileBatchActive = false;
      return;
    }
    this.batchesStarted.file++;
    this.batchesStarted.fileEntries += n;
    this.batches.push({ id: out.id, arn: out.arn!, status: out.status ?? 'CREATING', file: true });
  }

  /** The loop: until `end` or `maxCalls`, one operation, then a pause of 0–2 × thinkMs. */
  async loop(end: number, maxCalls: number) {
    while (performance.now() < end && this.calls < maxCalls) {
      const a = this.account;
      if (!a.fileBatchActive && performance.now() >= a.fileBatchDue) {
        await this.fileBatch();
      } else {
        for (let tries = 0; tries < 10; tries++) {
          let x = this.r() * MIX_TOTAL;
          const op = MIX.find(([, w]) => (x -= w) < 0)?.[0] ?? 'GetRun';
          if (await this.step(op)) break;
        }
      }
      await sleep(this.r() * 2 * this.p.thinkMs);
    }
  }
}

/** Setup with the SDK, outside the measured calls: one workflow and one run group per account, waited ACTIVE. */
async function setupAccount(url: string, key: Key, index: number): Promise<Account> {
  const c = new OmicsClient({ region: REGION, endpoint: url, disableHostPrefix: true, credentials: key, maxAttempts: 1 });
  try {
    const wf = await c.send(new CreateWorkflowCommand({ name: 'soak-shared', requestId: randomUUID(), definitionZip: DEFINITION }));
    for (let i = 0; ; i++) {
      if ((await c.send(new GetWorkflowCommand({ id: wf.id! }))).status === 'ACTIVE') break;
      if (i > 200) throw new Error(`workflow ${wf.id} of account ${key.accountId} not ACTIVE after 10 s`);
      await sleep(50);
    }
    const rg = await c.send(new CreateRunGroupCommand({ name: 'soak-shared', requestId: randomUUID(), maxRuns: 10_000 }));
    return {
      key, index, roleArn: `arn:aws:iam::${key.accountId}:role/OmicsRole`, workflows: [{ id: wf.id!, arn: wf.arn! }], runGroups: [{ id: rg.id!, arn: rg.arn! }],
      fileBatchDue: Infinity, fileBatchActive: false, fileBatches: 0,
    };
  } finally {
    c.destroy();
  }
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The run and batch tables after the server stopped: what the soak created (deleted runs stay as DELETED rows). */
function storeCounts(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const runs = db.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all() as { status: string; n: number }[];
    const batches = db.prepare('SELECT status, count(*) AS n FROM batches GROUP BY status').all() as { status: string; n: number }[];
    return {
      runs: Object.fromEntries(runs.map((x) => [x.status, x.n])) as Record<string, number>,
      runsTotal: runs.reduce((a, x) => a + x.n, 0),
      batchesLeft: Object.fromEntries(batches.map((x) => [x.status, x.n])) as Record<string, number>,
    };
  } finally {
    db.close();
  }
}

const fileSize = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

export async function soak(p: Profile) {
  const s = p.soak;
  const figs = new Figures('soak');
  const dir = tempDir('soak');
  const dataDir = path.join(dir, 'data');
  let server: Omicsd | undefined;
  let rss: RssSampler | undefined;
  const clients: TeamClient[] = [];
  try {
    fs.mkdirSync(dataDir);
    const credentials = writeCredentials(dir, KEYS);
    server = await startOmicsd({ dataDir, simRunMs: SIM_RUN_MS, startRunRate: START_RUN_RATE, apiRate: null, credentials });
    const url = server.url;
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`omicsd listens on ${url}, not 127.0.0.1`);
    const accounts = await Promise.all(KEYS.map((k, i) => setupAccount(url, k, i)));
    const rec = new Recorder();
    for (let n = 0; n < s.clients; n++) clients.push(new TeamClient(n, accounts[n % accounts.length], url, rec, s, dir, dataDir));

    const t0 = performance.now();
    rec.windowStart = t0 + s.warmupSeconds * 1000;
    rec.windowEnd = rec.windowStart + s.seconds * 1000;
    // The warm-up has the same mix as the window, settings-file batches included (the accounts' first ones
    // 5 s apart, then every fileEverySeconds), so that caches that fill up (V8 heap, SQLite page cache) have started to.
    accounts.forEach((a, i) => (a.fileBatchDue = t0 + i * 5000));
    const maxCalls = Math.ceil((s.warmupSeconds + s.seconds) * (1000 / Math.max(1, s.thinkMs)) * 5); // a bound, far above the pace
    log('soak', `${s.clients} clients, 2 accounts, ${s.warmupSeconds} s warm-up then ${s.seconds} s; StartRun rate ${START_RUN_RATE}/s per account, runs of ${SIM_RUN_MS} ms`);
    rss = new RssSampler(server.pid, s.rssEveryMs, true).start();
    const done = Promise.all(clients.map((c) => c.loop(rec.windowEnd, maxCalls)));

    await sleep(Math.max(0, rec.windowStart - performance.now()));
    rss.reset(); // a sample at the very start of the window
    const progress = setInterval(() => {
      const minutes = (performance.now() - rec.windowStart) / 60_000;
      log('soak', `${minutes.toFixed(1)} min: ${rec.totalCalls} calls, ${rec.unexpectedCount} unexpected errors, RSS ${toMB(rss!.series.at(-1)?.bytes ?? 0).toFixed(1)} MB`);
    }, 60_000);
    try {
      await done;
    } finally {
      clearInterval(progress);
      rss.stop();
    }
    const windowSeconds = (Math.min(performance.now(), rec.windowEnd) - rec.windowStart) / 1000;
    const dbBytes = fileSize(path.join(dataDir, 'omicsd.sqlite')) + fileSize(path.join(dataDir, 'omicsd.sqlite-wal'));
    for (const c of clients) c.destroy();
    await server.stop();
    server = undefined;
    const store = storeCounts(path.join(dataDir, 'omicsd.sqlite'));

    // RSS: samples from the end of warm-up to the end, as MB against minutes.
    const warmupRss = rss.series.filter((x) => x.ms < rec.windowStart - 1).map((x) => round(toMB(x.bytes), 1));
    const series = rss.series.filter((x) => x.ms >= rec.windowStart - 1);
    const points = series.map((x) => ({ x: (x.ms - rec.windowStart) / 60_000, y: toMB(x.bytes) }));
    const rssStart = points[0].y;
    const rssEnd = points[points.length - 1].y;
    const rssSlope = slope(points);

    const families: Record<Family, number[]> = { reads: [], writes: [], 'batch calls': [] };
    const perOp: Record<string, unknown> = {};
    const expected: Record<string, number> = {};
    for (const [op, st] of [...rec.ops.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      families[OPS[op]].push(...st.ms);
      const sm = st.ms.length ? summary(st.ms) : undefined;
      perOp[op] = { family: OPS[op], calls: st.calls, ok: st.ok, expected: st.expected, unexpected: st.unexpected, ...(sm && { inWindow: sm.n, p50: round(sm.p50), p99: round(sm.p99), max: round(sm.max) }) };
      for (const [k, v] of Object.entries(st.expected)) expected[`${op} ${k}`] = v;
    }
    const fam = Object.fromEntries(Object.entries(families).map(([k, v]) => [k, summary(v)])) as Record<Family, ReturnType<typeof summary>>;
    const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);
    const reqPerSec = rec.windowCalls / windowSeconds;
    const batches = clients.reduce((a, c) => ({
      inline: a.inline + c.batchesStarted.inline, file: a.file + c.batchesStarted.file,
      inlineEntries: a.inlineEntries + c.batchesStarted.inlineEntries, fileEntries: a.fileEntries + c.batchesStarted.fileEntries,
    }), { inline: 0, file: 0, inlineEntries: 0, fileEntries: 0 });
    const runsStarted = clients.reduce((a, c) => a + c.runsStarted, 0);

    log('soak', `${rec.windowCalls} calls in ${windowSeconds.toFixed(0)} s (${reqPerSec.toFixed(0)} req/s), ${rec.totalCalls} with warm-up; ${rec.unexpectedCount} unexpected errors, ${expectedTotal} expected`);
    for (const [k, v] of Object.entries(expected)) log('soak', `  expected: ${k}: ${v}`);
    for (const e of rec.unexpected) log('soak', `  UNEXPECTED ${e}`);
    for (const [k, v] of Object.entries(fam)) log('soak', `${k}: n=${v.n} p50 ${v.p50.toFixed(1)} ms, p99 ${v.p99.toFixed(1)} ms, max ${v.max.toFixed(1)} ms`);
    log('soak', `RSS ${rssStart.toFixed(1)} MB after warm-up → ${rssEnd.toFixed(1)} MB at the end, slope ${rssSlope.toFixed(2)} MB/min (${points.length} samples); database ${(dbBytes / 1e6).toFixed(0)} MB`);
    log('soak', `runs created ${store.runsTotal} (${runsStarted} by StartRun); batches ${batches.inline} inline (${batches.inlineEntries} entries) + ${batches.file} settings files (${batches.fileEntries} entries)`);

    const slopeBound = 2;
    figs.add({ figure: `requests, ${s.clients} clients, ${Math.round(windowSeconds)} s (${rec.windowCalls.toLocaleString('en-US')} in all)`, value: reqPerSec, unit: 'req/s' });
    figs.add({ figure: 'unexpected errors (incl. warm-up)', value: rec.unexpectedCount, unit: '', target: '= 0', pass: rec.unexpectedCount === 0 });
    figs.add({ figure: 'expected API errors (classified)', value: expectedTotal, unit: '' });
    for (const f of ['reads', 'writes', 'batch calls'] as const) {
      figs.add({ figure: `${f} p50`, value: fam[f].p50, unit: 'ms' });
      figs.add({ figure: `${f} p99`, value: fam[f].p99, unit: 'ms', ...(f === 'reads' && { target: '< 50 ms', pass: fam[f].p99 < 50 }) });
      figs.add({ figure: `${f} max`, value: fam[f].max, unit: 'ms' });
    }
    figs.add({ figure: 'server RSS after warm-up', value: rssStart, unit: 'MB' });
    figs.add({ figure: 'server RSS at the end', value: rssEnd, unit: 'MB', limit: rssStart, limitLabel: 'after warm-up' });
    // Over 15 s the slope is noise (a GC cycle moves it by MBs): only the full soak has the target.
    figs.add({ figure: `server RSS slope over ${Math.round(windowSeconds / 60 * 10) / 10} min`, value: rssSlope, unit: 'MB/min', ...(!p.quick && { target: `< ${slopeBound} MB/min`, pass: rssSlope < slopeBound }) });
    figs.add({ figure: 'runs created', value: store.runsTotal, unit: 'runs' });
    figs.add({ figure: 'batches created', value: batches.inline + batches.file, unit: 'batches' });

    return {
      figures: figs.list,
      details: {
        clients: s.clients, accounts: KEYS.map((k) => k.accountId), warmupSeconds: s.warmupSeconds, windowSeconds, thinkMs: s.thinkMs,
        startRunRate: START_RUN_RATE, simRunMs: SIM_RUN_MS, apiRate: 'omicsd default (1000/s per account)',
        requests: { inWindow: rec.windowCalls, withWarmup: rec.totalCalls, perSecond: reqPerSec },
        unexpectedErrors: rec.unexpectedCount, unexpectedSamples: rec.unexpected, expectedErrors: expected,
        latency: fam, operations: perOp,
        rss: { warmupMB: warmupRss, startMB: rssStart, endMB: rssEnd, slopeMBPerMinute: rssSlope, everyMs: s.rssEveryMs, samples: points.map((x) => [round(x.x, 3), round(x.y, 1)]) },
        databaseBytesAtEnd: dbBytes,
        runs: { created: store.runsTotal, byStatusAtEnd: store.runs, byStartRun: runsStarted },
        batches: { ...batches, leftAtEnd: store.batchesLeft },
      },
    };
  } finally {
    rss?.stop();
    for (const c of clients) c.destroy();
    await server?.child.stop();
    removeDir(dir);
  }
}
