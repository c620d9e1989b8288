/*
 * `omicsd s3 ls s3://bucket[/prefix]`: one line per object, `SIZE  ETAG  KEY`. Without --recursive, like
 * `aws s3 ls`, keys are shown relative to the prefix's last "/", and deeper keys are grouped into one
 * `PRE name/` line per subfolder; with --recursive every key under the prefix is shown in full, as listed.
 * The object store lists one bucket's keys (it has no call listing buckets), so the bucket must be named.
 */
import type { ObjectStore } from '../../objectstore/index.js';
import { parseUri, shown, uri } from './locations.js';
import type { Output } from './messages.js';

export interface ListOptions {
  recursive: boolean;
  summarize: boolean;
}

const objectLine = (size: number, etag: string, name: string) => `${String(size).padStart(12)}  ${etag}  ${shown(name)}`;
const prefixLine = (name: string) => `${'PRE'.padStart(12)}  ${shown(name)}`;
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Resolves with whether anything was found (an empty bucket counts; nothing under a prefix does not). */
export async function list(store: ObjectStore, arg: string | undefined, o: ListOptions, io: Output): Promise<boolean> {
  if (arg === undefined) {
    throw new Error('omicsd s3 ls needs s3://bucket[/prefix]: the object store lists the keys of one bucket, not the buckets');
  }
  const loc = parseUri(arg, 'URI', true);
  const prefix = loc.key;
  let objects = 0;
  let bytes = 0;
  let folders = 0;
  if (o.recursive) {
    for await (const item of store.list(loc.bucket, prefix)) {
      if (!item.key.startsWith(prefix)) continue;
      io.out(objectLine(item.size, item.etag, item.key));
      objects++;
      bytes += item.size;
    }
  } else {
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const subfolders = new Set<string>();
    const here: { name: string; size: number; etag: string }[] = [];
    for await (const item of store.list(loc.bucket, prefix)) {
      if (!item.key.startsWith(prefix)) continue;
      const rest = item.key.slice(base.length);
      const slash = rest.indexOf('/');
      if (slash === -1) here.push({ name: rest, size: item.size, etag: item.etag });
      else subfolders.add(rest.slice(0, slash + 1));
    }
    for (const name of [...subfolders].sort(byteOrder)) io.out(prefixLine(name));
    for (const item of here.sort((a, b) => byteOrder(a.name, b.name))) {
      io.out(objectLine(item.size, item.etag, item.name));
      objects++;
      bytes += item.size;
    }
    folders = subfolders.size;
  }
  if (o.summarize) {
    io.out('');
    io.out(`Total Objects: ${objects}`);
    io.out(`   Total Size: ${bytes}`);
  }
  if (objects === 0 && folders === 0 && prefix !== '') {
    io.err(`omicsd: nothing found under ${shown(uri(loc))}`);
    return false;
  }
  return true;
}
