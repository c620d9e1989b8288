import { z } from 'zod';
import { validationError } from './errors.js';

/** The constraint vocabulary of the API reference, as zod schemas. */
export const P_TEXT = /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]+$/u;
const P_DIGITS = /^[0-9]+$/;
const P_NAME = /^[A-Za-z0-9][A-Za-z0-9\-._]*$/;
const P_ARN = /^arn:.+$/s;

export const text = (min: number, max: number) => z.string().min(min).max(max).regex(P_TEXT);
export const id = () => z.string().min(1).max(18).regex(P_DIGITS);
export const arn = (max = 128) => z.string().min(1).max(max).regex(P_ARN);
export const resourceName = (max: number) => z.string().min(1).max(max).regex(P_NAME);
export const accountId = () => z.string().regex(/^[0-9]{12}$/);
export const int = (min: number, max: number) => z.number().int().min(min).max(max);
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);
export const document = () => z.unknown();
export const tagMap = (maxEntries = 50) =>
  z.record(z.string().min(1).max(128), z.string().max(256)).refine((m) => Object.keys(m).length <= maxEntries, {
    message: `Member must have at most ${maxEntries} entries`,
  });

/** JSON null means "absent" for every structure member. */
export const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => (v === null ? undefined : v)) as unknown as z.ZodOptional<T>;

const MAX_ECHO = 100;

function describeValue(input: unknown): string {
  if (input === undefined || input === null) return 'Value null';
  if (typeof input === 'string') return input.length <= MAX_ECHO ? `Value '${input}'` : 'Value';
  if (typeof input === 'number' || typeof input === 'boolean') return `Value '${input}'`;
  return 'Value';
}

/** AWS's member path style: list items are `name.N.member` (1-based). */
function memberPath(path: PropertyKey[]): string {
  const parts: string[] = [];
  for (const p of path) {
    if (typeof p === 'number') parts.push(`${p + 1}`, 'member');
    else parts.push(String(p));
  }
  return parts.join('.');
}

function constraintOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined || issue.input === null ? 'Member must not be null' : `Member must be of type ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' ? `Member must have length greater than or equal to ${issue.minimum}`
        : issue.origin === 'array' || issue.origin === 'set' ? `Member must have at least ${issue.minimum} items`
        : `Member must have value greater than or equal to ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' ? `Member must have length less than or equal to ${issue.maximum}`
        : issue.origin === 'array' || issue.origin === 'set' ? `Member must have at most ${issue.maximum} items`
        : `Member must have value less than or equal to ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue ? `Member must satisfy regular expression pattern: ${String(issue.pattern).replace(/^\/\^?|\$?\/[a-z]*$/g, '')}` : `Member must be a valid ${issue.format}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.join(', ')}]`;
    case 'invalid_key':
      return `Map keys must satisfy constraint: ${issue.issues.map(constraintOf).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Formats zod issues the way AWS reports constraint violations, naming each field. */
export function formatIssues(issues: z.core.$ZodIssue[], prefix = ''): string {
  const parts = issues.map((issue) => {
    const at = memberPath([...(prefix ? [prefix] : []), ...issue.path]);
    const value = 'input' in issue ? describeValue(issue.input) : 'Value';
    return `${value} at '${at}' failed to satisfy constraint: ${constraintOf(issue)}`;
  });
  const n = parts.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

/** Parses input against a schema or throws ValidationException with every violation listed. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.output<T> {
  const res = schema.safeParse(input, { reportInput: true });
  if (!res.success) throw validationError(formatIssues(res.error.issues, prefix));
  return res.data;
}

/** Query strings arrive as text: integers are decoded here so range errors read like body ones. */
export const queryInt = (min: number, max: number) =>
  z.string().regex(/^-?[0-9]+$/, { message: 'Member must be an integer' }).transform(Number).pipe(int(min, max));

/** How deeply request bodies and batch entries may nest (docs/quotas.md): deeper JSON is refused, never walked recursively. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `max` arrays/objects; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
