/*
 * `omicsd s3 cp`: plans the copies, runs them in a bounded pool, writes one line per object copied
 * (`upload: a.fq to s3://b/p/a.fq 16 bytes ETag "…"`) and one per failure (on stderr), then a summary.
 */
import type { ObjectStore } from '../../objectstore/index.js';
import { shown, uri } from './locations.js';
import { transferProblem, type Output } from './messages.js';
import { planCopy, type Failure, type Transfer } from './plan.js';
import { eachLimited } from '../pool.js';
import { download, upload } from './transfer.js';

export interface CopyOptions {
  recursive: boolean;
  concurrency: number;
}

/** Resolves with whether every source was copied; throws (before copying anything) on a usage error. */
export async function copy(store: ObjectStore, args: string[], o: CopyOptions, io: Output): Promise<boolean> {
  const plan = await planCopy(store, args, o.recursive);
  for (const line of plan.skipped) io.err(`warning: skipped ${line}`);
  for (const f of plan.failures) io.err(failureLine(f));
  let copied = 0;
  let bytes = 0;
  let failed = plan.failures.length;
  // Each failure is reported as it happens; the other transfers go on.
  await eachLimited(plan.transfers, o.concurrency, async (t) => {
    try {
      const info = t.kind === 'upload' ? await upload(store, t) : await download(store, t);
      copied++;
      bytes += info.size;
      io.out(`${t.kind}: ${from(t)} to ${to(t)} ${info.size} bytes ETag ${info.etag}`);
    } catch (err) {
      failed++;
      io.err(failureLine({ kind: t.kind, from: from(t), to: to(t), reason: transferProblem(err) }));
    }
  });
  const parts = [`${copied} copied (${bytes} bytes)`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (plan.skipped.length > 0) parts.push(`${plan.skipped.length} skipped`);
  io.out(`summary: ${parts.join(', ')}`);
  return failed === 0;
}

const from = (t: Transfer) => shown(t.kind === 'upload' ? t.from : uri(t.from));
const to = (t: Transfer) => shown(t.kind === 'upload' ? uri(t.to) : t.to);

const failureLine = (f: Failure) => `${f.kind} failed: ${f.from}${f.to === undefined ? '' : ` to ${f.to}`}: ${f.reason}`;
