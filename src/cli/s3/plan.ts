/*
 * Copy planning for `omicsd s3 cp SRC... DEST`: which object or file goes where, decided before anything is
 * copied. Usage errors (bad URIs, a DEST that is not a folder where it must be, mixed directions) throw, so
 * nothing is copied. Problems of single sources (a missing file, a hostile key, a listing that fails) become
 * failures of the plan, and the rest is still copied.
 */
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { ObjectStore, S3Location } from '../../objectstore/index.js';
import { endsWithSeparator, isS3Uri, keySegments, parseUri, shown, staysInside, uri } from './locations.js';
import { transferProblem, localProblem } from './messages.js';
import { walkFolder } from './walk.js';

export interface Upload {
  kind: 'upload';
  /** The local file, as given (joined with its relative path under a folder given with --recursive). */
  from: string;
  to: S3Location;
  /** Found by walking a folder: opened without following a symbolic link put there since. */
  walked: boolean;
}

export interface Download {
  kind: 'download';
  from: S3Location;
  /** The local file to write. */
  to: string;
  /** When set, `to` is `dir` joined with `segments`: the folders in between are created, never through a link. */
  below?: { dir: string; segments: string[] };
  /** Named on the command line (not found by listing a prefix). */
  named: boolean;
}

export type Transfer = Upload | Download;

/** A source that cannot be copied; `from` and `to` are shown as is. */
export interface Failure {
  kind: 'upload' | 'download';
  from: string;
  to?: string;
  reason: string;
}

export interface Plan {
  transfers: Transfer[];
  failures: Failure[];
  /** Sources left out on purpose (symbolic links, special files, folder markers), one line each. */
  skipped: string[];
}

export async function planCopy(store: ObjectStore, args: string[], recursive: boolean): Promise<Plan> {
  if (args.length < 2) throw new Error('omicsd s3 cp needs a source and a destination: omicsd s3 cp SRC... DEST');
  const sources = args.slice(0, -1);
  const dest = args[args.length - 1];
  const remote = sources.filter(isS3Uri);
  if (isS3Uri(dest)) {
    if (remote.length > 0) {
      throw new Error(`Copying from s3:// to s3:// is not supported (${shown(remote[0])}): download the objects, then upload them`);
    }
    return planUploads(sources, dest, recursive);
  }
  if (remote.length === 0) throw new Error('One side of omicsd s3 cp must be an s3:// URI: SRC... s3://bucket/key, or s3://bucket/key... DEST');
  if (remote.length !== sources.length) {
    throw new Error(`All sources must be local files or all s3:// URIs: ${shown(sources.find((s) => !isS3Uri(s))!)} is local`);
  }
  return planDownloads(store, sources, dest, recursive);
}

/** Rejects a second transfer to the same destination (two sources with one name under a prefix, say). */
function destinations() {
  const seen = new Map<string, string>();
  return (id: string, from: string): string | undefined => {
    const first = seen.get(id);
    if (first !== undefined) return `${shown(first)} is copied there too`;
    seen.set(id, from);
    return undefined;
  };
}

async function planUploads(sources: string[], destArg: string, recursive: boolean): Promise<Plan> {
  const dest = parseUri(destArg, 'destination', true);
  const intoFolder = dest.key === '' || dest.key.endsWith('/');
  if (sources.length > 1 && !intoFolder) {
    throw new Error(`With several sources the destination must be a prefix ending in "/": ${shown(destArg)} is not (use ${shown(destArg)}/)`);
  }
  const plan: Plan = { transfers: [], failures: [], skipped: [] };
  const claim = destinations();
  const add = (from: string, key: string, walked: boolean) => {
    const to = { bucket: dest.bucket, key };
    const clash = claim(`${to.bucket}/${to.key}`, from);
    if (clash) plan.failures.push({ kind: 'upload', from: shown(from), to: shown(uri(to)), reason: clash });
    else plan.transfers.push({ kind: 'upload', from, to, walked });
  };
  for (const src of sources) {
    let st: Stats;
    try {
      st = await stat(src);
    } catch (err) {
      plan.failures.push({ kind: 'upload', from: shown(src), reason: localProblem(err) });
      continue;
    }
    if (st.isFile()) {
      add(src, intoFolder ? dest.key + path.basename(src) : dest.key, false);
    } else if (!st.isDirectory()) {
      plan.failures.push({ kind: 'upload', from: shown(src), reason: 'not a regular file or folder' });
    } else if (!recursive) {
      plan.failures.push({ kind: 'upload', from: shown(src), reason: 'is a folder (add --recursive to copy what is in it)' });
    } else {
      // Like `aws s3 cp --recursive DIR s3://bucket/prefix`: what is in DIR goes under prefix/.
      const prefix = intoFolder ? dest.key : `${dest.key}/`;
      for await (const entry of walkFolder(src)) {
        const local = path.join(src, ...entry.segments);
        if (entry.kind === 'file') add(local, prefix + entry.segments.join('/'), true);
        else if (entry.kind === 'skipped') plan.skipped.push(`${shown(local)}: ${entry.why}`);
        else plan.failures.push({ kind: 'upload', from: shown(local), reason: localProblem(entry.error) });
      }
    }
  }
  return plan;
}

async function planDownloads(store: ObjectStore, sources: string[], dest: string, recursive: boolean): Promise<Plan> {
  const locations = sources.map((s) => parseUri(s, 'source', true));
  if (!recursive) {
    for (const [i, loc] of locations.entries()) {
      if (loc.key === '' || loc.key.endsWith('/')) {
        throw new Error(`${shown(sources[i])} names a ${loc.key === '' ? 'bucket' : 'prefix'}, not an object: add --recursive to copy what is under it`);
      }
    }
  }
  const st = await stat(dest).catch(() => undefined);
  const intoFolder = recursive || endsWithSeparator(dest) || !!st?.isDirectory();
  if (intoFolder && st && !st.isDirectory()) throw new Error(`${shown(dest)} exists and is not a folder`);
  if (!intoFolder && sources.length > 1) {
    throw new Error(`With several sources the destination must be an existing folder or end in "/": ${shown(dest)} is neither (use ${shown(dest)}/)`);
  }

  const plan: Plan = { transfers: [], failures: [], skipped: [] };
  const claim = destinations();
  const add = (from: S3Location, segments: string[] | undefined, named: boolean) => {
    const to = segments ? path.join(dest, ...segments) : dest;
    const clash = claim(path.resolve(to), uri(from));
    if (clash) plan.failures.push({ kind: 'download', from: shown(uri(from)), to: shown(to), reason: clash });
    else plan.transfers.push({ kind: 'download', from, to, below: segments && { dir: dest, segments }, named });
  };
  const refuse = (loc: S3Location, problem: string) =>
    plan.failures.push({ kind: 'download', from: shown(uri(loc)), reason: `refusing the key ${shown(loc.key)}: ${problem}` });

  for (const loc of locations) {
    if (!recursive) {
      if (!intoFolder) {
        add(loc, undefined, true);
        continue;
      }
      const name = loc.key.slice(loc.key.lastIndexOf('/') + 1);
      const checked = keySegments(name);
      if ('problem' in checked) refuse(loc, checked.problem);
      else if (!staysInside(dest, checked.segments)) refuse(loc, `it would leave ${shown(dest)}`);
      else add(loc, checked.segments, true);
      continue;
    }
    // Like `aws s3 cp --recursive s3://bucket/prefix DIR`: what is under prefix/ goes into DIR.
    const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
    try {
      for await (const item of store.list(loc.bucket, prefix)) {
        const found = { bucket: loc.bucket, key: item.key };
        // A server answering with keys outside the prefix asked for is not trusted with the rest of the path either.
        if (!item.key.startsWith(prefix)) {
          refuse(found, `the listing of ${shown(prefix)} returned it, but it is not under that prefix`);
          continue;
        }
        const rel = item.key.slice(prefix.length);
        if (rel === '' || rel.endsWith('/')) {
          plan.skipped.push(`${shown(uri(found))}: a folder marker (a key ending in "/"), not a file`);
          continue;
        }
        const checked = keySegments(rel);
        if ('problem' in checked) refuse(found, checked.problem);
        else if (!staysInside(dest, checked.segments)) refuse(found, `it would leave ${shown(dest)}`);
        else add(found, checked.segments, false);
      }
    } catch (err) {
      plan.failures.push({ kind: 'download', from: shown(uri({ bucket: loc.bucket, key: prefix })), reason: transferProblem(err) });
    }
  }
  return plan;
}
