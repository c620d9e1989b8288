import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { redact } from '../store/database-url.js';

/** Option parsers: a bad value is refused by name, before anything touches the disk. */
export const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${v}"`);
  }
  return n;
};

export const nonNegative = (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got "${v}"`);
  return n;
};

export const positive = (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${v}"`);
  return n;
};

/** Seconds a presigned link works: as S3's presigned URLs, 1 second to 7 days. */
export const linkExpiry = (v: string) => {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v.trim()) || n < 1 || n > 604800) throw new InvalidArgumentError(`expected whole seconds from 1 to 604800, got "${v}"`);
  return n;
};

export const accountId = (v: string) => {
  if (!/^[0-9]{12}$/.test(v)) throw new InvalidArgumentError(`expected 12 digits, got "${v}"`);
  return v;
};

/** `--allowed-host NAME[:PORT]`, repeatable; a comma-separated list (e.g. from the environment) also works. */
export const allowedHost = (v: string, previous: string[] = []) => {
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(n);
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
      throw new InvalidArgumentError(`expected a host name or address, optionally with :PORT, got "${n}"`);
    }
  }
  if (names.length === 0) throw new InvalidArgumentError(`expected a host name, got "${v}"`);
  return [...previous, ...names];
};

export const httpUrl = (v: string) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${v}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${v}"`);
  return v;
};

/** A repeatable URL option (`--event-webhook`): each value an http:// or https:// URL. */
export const collectUrls = (v: string, previous: string[] = []) => [...previous, httpUrl(v)];

/**
 * `--database-url`: sqlite:PATH or a postgres:// URL (docs/scale-out.md). Checked in the action, not
 * as commander's argument parser: commander's message would repeat the value, password and all.
 */
export function checkDatabaseUrl(v: string): string {
  if (/^sqlite:.+/.test(v)) return v;
  if (/^postgres(ql)?:\/\//.test(v)) {
    try {
      const u = new URL(v);
      if (u.hostname || u.searchParams.has('host')) return v;
    } catch {
      // falls through to the error below
    }
  }
  throw new InvalidArgumentError(`option '--database-url <url>' is invalid: expected sqlite:PATH or postgres://USER@HOST:PORT/DATABASE, got "${redact(v)}"`);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every option can also come from the environment as OMICSD_<NAME>. */
export const envOption = (flags: string, description: string, env: string) => new Option(flags, description).env(`OMICSD_${env}`);

/** The data dir of the server a local command reads (`--data-dir`, default ./.omicsd). */
export const dataDirOption = (what: string) => envOption('--data-dir <dir>', what, 'DATA_DIR').default('./.omicsd');

/** A repeatable folder option: each value must be an absolute path to an existing folder. */
export function collectPaths(v: string, previous: string[] | undefined): string[] {
  if (!path.isAbsolute(v)) throw new InvalidArgumentError(`expected an absolute path, got "${v}"`);
  if (!fs.statSync(v, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`"${v}" is not an existing folder`);
  return [...(previous ?? []), v];
}
