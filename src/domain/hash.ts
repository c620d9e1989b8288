import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as any)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Digest of a request without its client token: what "the same request" means for idempotency. */
export function requestHash(input: Record<string, unknown>): string {
  const { requestId: _omit, ...rest } = input;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}
