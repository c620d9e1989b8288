/*
 * What the arguments of `omicsd s3 cp|ls` name: s3:// URIs or local paths, how they are shown in output, and
 * how an object key becomes a local path below a folder. Object keys are treated as hostile: a key that would
 * leave the folder (a ".." segment, an absolute path, …) is refused, never normalised into something else.
 */
import path from 'node:path';
import { parseS3Uri, type S3Location } from '../../objectstore/index.js';

export const isS3Uri = (arg: string) => arg.startsWith('s3://');

/** Parses an s3:// argument; `bucketOnly` accepts `s3://bucket` and `s3://bucket/` (an empty key). */
export function parseUri(arg: string, field: string, bucketOnly: boolean): S3Location {
  if (!isS3Uri(arg)) throw new Error(`Invalid ${field} ${shown(arg)}: expected an S3 URI of the form s3://bucket${bucketOnly ? '[/prefix]' : '/key'}`);
  return parseS3Uri(arg, field, { allowEmptyKey: bucketOnly });
}

export const uri = (loc: S3Location) => `s3://${loc.bucket}/${loc.key}`;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A path or key as it appears in an output line: as is, unless it holds control characters (a hostile key
 * could otherwise forge output lines), in which case it is shown JSON-quoted with them escaped.
 */
export const shown = (s: string) => (CONTROL.test(s) ? JSON.stringify(s) : s);

/** Whether a local argument names a folder by its spelling (`dir/`). */
export const endsWithSeparator = (p: string) => p.endsWith('/') || p.endsWith(path.sep);

/**
 * The path segments of `relativeKey` (the part of an object key below the prefix being copied) as a
 * relative local path, or the reason it cannot be one. Refused: empty, absolute (a leading "/"), empty
 * segments ("a//b"), "." and ".." segments, backslashes and NUL characters.
 */
export function keySegments(relativeKey: string): { segments: string[] } | { problem: string } {
  if (relativeKey === '') return { problem: 'the key names no file below the prefix' };
  if (relativeKey.startsWith('/')) return { problem: 'it is an absolute path' };
  if (relativeKey.includes('\\')) return { problem: 'it contains a backslash' };
  if (relativeKey.includes('\0')) return { problem: 'it contains a NUL character' };
  const segments = relativeKey.split('/');
  for (const s of segments) {
    if (s === '..') return { problem: 'it has a ".." segment, which would leave the destination folder' };
    if (s === '.') return { problem: 'it has a "." segment' };
    if (s === '') return { problem: 'it has an empty path segment ("//")' };
  }
  return { segments };
}

/** Whether `root` joined with `segments` lies strictly inside `root` (belt and braces after keySegments). */
export function staysInside(root: string, segments: string[]): boolean {
  const base = path.resolve(root);
  const target = path.resolve(base, ...segments);
  return target.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}
