import fs from 'node:fs';
import type { Logger } from 'pino';

/** One access key of the credentials file (docs/security.md). */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The account the key acts as: its id goes into every ARN the caller creates or reads. */
  accountId: string;
  /** The only buckets the account may name in s3:// URIs; absent = any (docs/security.md, "Accounts"). */
  buckets?: string[];
}

/** A credentials file that cannot be used; the message names the file and the problem, never a secret. */
export class CredentialsFileError extends Error {}

// What may appear in an access key id: the SigV4 Credential parameter splits on `/` and the
// Authorization header on `,` and spaces, so those can never be part of one.
const ACCESS_KEY_ID = /^[A-Za-z0-9_+=.@-]{1,128}$/;

/**
 * Parses `{"credentials": [{"accessKeyId", "secretAccessKey", "accountId"}, …]}`. Throws a
 * CredentialsFileError naming the first problem: not JSON, a missing or mistyped member, an
 * account id that is not 12 digits, a duplicate access key id, or no key at all.
 */
export function parseCredentials(text: string, file: string): Map<string, Credential> {
  const bad = (why: string) => new CredentialsFileError(`credentials file ${file}: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text around the error, which may be a secret.
    throw bad('is not valid JSON (expected {"credentials": [{"accessKeyId": …, "secretAccessKey": …, "accountId": …}]})');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the top level must be a JSON object with a "credentials" member');
  const list = (doc as Record<string, unknown>).credentials;
  if (list === undefined) throw bad('missing member "credentials"');
  if (!Array.isArray(list)) throw bad('"credentials" must be an array');
  if (list.length === 0) throw bad('"credentials" is empty: no client could authenticate');
  const keys = new Map<string, Credential>();
  list.forEach((entry: unknown, i) => {
    const where = `credentials[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`${where} must be an object`);
    const e = entry as Record<string, unknown>;
    for (const member of ['accessKeyId', 'secretAccessKey', 'accountId']) {
      if (e[member] === undefined) throw bad(`${where} is missing member "${member}"`);
      if (typeof e[member] !== 'string' || e[member] === '') throw bad(`${where}.${member} must be a non-empty string`);
    }
    const { accessKeyId, secretAccessKey, accountId } = e as unknown as Credential;
    if (!ACCESS_KEY_ID.test(accessKeyId)) throw bad(`${where}.accessKeyId may only contain letters, digits and _+=.@- (1 to 128 of them)`);
    if (!/^[0-9]{12}$/.test(accountId)) throw bad(`${where}.accountId must be 12 digits, got "${accountId}"`);
    if (keys.has(accessKeyId)) throw bad(`${where}.accessKeyId "${accessKeyId}" is a duplicate`);
    const buckets = e.buckets;
    if (buckets !== undefined && (!Array.isArray(buckets) || buckets.some((b) => typeof b !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)))) {
      throw bad(`${where}.buckets must be an array of S3 bucket names`);
    }
    keys.set(accessKeyId, { accessKeyId, secretAccessKey, accountId, ...(buckets ? { buckets: buckets as string[] } : {}) });
  });
  return keys;
}

export function readCredentialsFile(file: string): Map<string, Credential> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CredentialsFileError(`credentials file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseCredentials(text, file);
}

/**
 * The access keys omicsd accepts, read from `--credentials` at start and again on SIGHUP
 * (docs/security.md). A reload that fails keeps the keys loaded before.
 */
export class CredentialSet {
  private constructor(readonly file: string, private keys: Map<string, Credential>, private log: Logger) {}

  /** Reads the file; throws a CredentialsFileError if it is unusable (omicsd then refuses to start). */
  static load(file: string, log: Logger): CredentialSet {
    const set = new CredentialSet(file, readCredentialsFile(file), log);
    set.warnIfReadableByOthers();
    log.info({ file, keys: set.size }, `authentication on: ${set.size} access keys loaded from ${file}`);
    return set;
  }

  get size() {
    return this.keys.size;
  }

  lookup(accessKeyId: string): Credential | undefined {
    return this.keys.get(accessKeyId);
  }

  /** The buckets an account may use: the union of its keys' `buckets`, or undefined when none of its keys lists any. */
  bucketsOf(accountId: string): ReadonlySet<string> | undefined {
    let out: Set<string> | undefined;
    for (const key of this.keys.values()) {
      if (key.accountId !== accountId || !key.buckets) continue;
      out ??= new Set();
      for (const b of key.buckets) out.add(b);
    }
    return out;
  }

  /** Re-reads the file (SIGHUP). Returns whether the new keys are in use. */
  reload(): boolean {
    try {
      this.keys = readCredentialsFile(this.file);
    } catch (err) {
      this.log.error({ file: this.file, keys: this.keys.size },
        `credentials not reloaded: ${(err as Error).message}; keeping the ${this.keys.size} access keys loaded before`);
      return false;
    }
    this.warnIfReadableByOthers();
    this.log.info({ file: this.file, keys: this.keys.size }, `credentials reloaded: ${this.keys.size} access keys`);
    return true;
  }

  private warnIfReadableByOthers() {
    try {
      if (process.platform !== 'win32' && (fs.statSync(this.file).mode & 0o077) !== 0) {
        this.log.warn({ file: this.file }, `credentials file ${this.file} is readable by other users: chmod 600 it`);
      }
    } catch {
      // The file was just read; a stat failure here changes nothing.
    }
  }
}
