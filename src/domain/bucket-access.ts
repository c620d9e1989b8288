import { notFound } from './errors.js';

/**
 * Which buckets an account may name in `s3://` URIs (docs/security.md, "Accounts"): a set, or
 * undefined for an account the operator did not restrict. The object store itself is shared, so
 * this is what keeps one account from reading or writing another's data through omicsd.
 */
export type BucketScope = (account: string) => ReadonlySet<string> | undefined;

/** The bucket of an `s3://bucket/…` URI, or undefined for anything else. */
const bucketOf = (uri: string) => /^s3:\/\/([^/]+)/.exec(uri)?.[1];

/** Throws exactly what a missing bucket answers when `uri` names a bucket the account may not use. */
export function requireBucket(scope: BucketScope, account: string, uri: string | undefined) {
  const bucket = uri === undefined ? undefined : bucketOf(uri);
  const allowed = bucket === undefined ? undefined : scope(account);
  if (allowed && !allowed.has(bucket!)) throw notFound(`The specified bucket does not exist: s3://${bucket}`);
}

/** The same for every `s3://` string anywhere inside run parameters (walked iteratively). */
export function requireBucketsIn(scope: BucketScope, account: string, value: unknown) {
  if (!scope(account)) return;
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') requireBucket(scope, account, v);
    else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') stack.push(...Object.values(v));
  }
}
