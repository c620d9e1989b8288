/*
 * One line per failure: what went wrong, never a stack trace. Object store errors already name their
 * s3:// URI; local file system errors are turned into a few words about the path concerned.
 */
import { ObjectStoreError } from '../../objectstore/index.js';
import { shown } from './locations.js';

/** Where a command's lines go: results to `out`, failures and warnings to `err`. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const LOCAL: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'is a symbolic link (not followed)',
  ENAMETOOLONG: 'name too long',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files (lower --concurrency)',
};

/** The error's code (`ENOENT`, `ECONNREFUSED`, …), when it has one. */
export const errCode = (err: unknown): string | undefined =>
  err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;

/**
 * A local file system error in a few words ("no such file or folder"), prefixed with `localPath` when given
 * (for a path other than the one the failure line names already).
 */
export function localProblem(err: unknown, localPath?: string): string {
  const code = errCode(err);
  const words = code && LOCAL[code] ? LOCAL[code] : transferProblem(err);
  return localPath === undefined ? words : `${shown(localPath)}: ${words}`;
}

/** Any error as one line: its message (or, for errors that carry none, e.g. a refused connection, its code). */
export function transferProblem(err: unknown): string {
  if (err instanceof ObjectStoreError) return oneLine(err.message);
  if (err instanceof AggregateError && err.errors.length > 0) return transferProblem(err.errors[0]);
  if (err instanceof Error) {
    const code = errCode(err);
    const text = err.message || code || err.name;
    return oneLine(code && !text.includes(code) ? `${text} (${code})` : text);
  }
  return oneLine(String(err));
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
