import fs from 'node:fs';
import path from 'node:path';
import { keyProblem } from '../../objectstore/object-store.js';
import { validationError } from '../errors.js';

/**
 * What a run's parameters and outputUri may name (docs/security.md, "Run inputs"): input files come
 * from the object store as `s3://` URIs, which omicsd stages into the run's folder. A local path, a
 * `file:` URI or a File/Directory `location` elsewhere would let a run read the host's files, so they
 * are refused unless they lie under an operator's `--local-input-root` (e.g. a shared cluster
 * filesystem), checked after resolving symbolic links.
 */
export interface InputRules {
  /** Folders local inputs may come from (resolved, symlinks followed); none by default. */
  localInputRoots: string[];
}

const isS3 = (v: string) => v.startsWith('s3://');
/** Strings that name a local file: absolute, home- or dot-relative, a file: URI, or with a `..` segment. */
const looksLocal = (v: string) => /^(\/|~|\.\.?(\/|$)|file:)/i.test(v) || /(^|\/)\.\.(\/|$)/.test(v);

/** The real path of `p` if it is inside one of `roots`, else undefined. */
function underRoot(p: string, roots: string[]): string | undefined {
  if (!roots.length || !path.isAbsolute(p)) return undefined;
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    return undefined;
  }
  return roots.some((r) => real === r || real.startsWith(r + path.sep)) ? real : undefined;
}

/** Resolves the configured roots once, following symlinks; a root that does not exist is a start-up error. */
export function resolveInputRoots(roots: string[]): string[] {
  return roots.map((r) => {
    try {
      return fs.realpathSync(r);
    } catch {
      throw new Error(`--local-input-root ${r} does not exist`);
    }
  });
}

/**
 * Checks parameters: no key with `:` (those are engine directives, e.g. CWL's `cwl:requirements`),
 * every value of a File/Directory input (`pathInputs`, from the definition) and every File/Directory
 * object an `s3://` URI or a path under a local input root, and no `file:` URI anywhere. Where the
 * definition declares no types (Nextflow), any string that looks like a local path is held to the same
 * rule. Throws ValidationException naming the parameter.
 */
export function checkRunInputs(parameters: unknown, pathInputs: readonly string[] | undefined, rules: InputRules) {
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) return;
  const refuse = (name: string, value: string) => {
    const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
    return validationError(`Parameter ${name}: ${JSON.stringify(shown)} is not an s3:// URI. Inputs must be s3:// URIs`
      + (rules.localInputRoots.length ? `, or paths under ${rules.localInputRoots.join(', ')}` : ' (this server allows no local input paths)'));
  };
  const checkPath = (name: string, value: string) => {
    if (isS3(value)) return;
    if (!/^file:/i.test(value) && underRoot(value, rules.localInputRoots)) return;
    throw refuse(name, value);
  };
  const typed = new Set(pathInputs ?? []);
  for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (name.includes(':')) throw validationError(`Parameter name ${JSON.stringify(name)} is not allowed: names with ':' are engine directives`);
    // Walk iteratively: parameters are client data of any shape (their depth is bounded at decoding).
    const stack: [unknown, boolean][] = [[value, typed.has(name)]];
    while (stack.length) {
      const [v, isPath] = stack.pop()!;
      if (typeof v === 'string') {
        if (isPath || /^file:/i.test(v) || (pathInputs === undefined && looksLocal(v))) checkPath(name, v);
      } else if (Array.isArray(v)) {
        for (const item of v) stack.push([item, isPath]);
      } else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        const fileObject = o.class === 'File' || o.class === 'Directory';
        for (const [k, child] of Object.entries(o)) stack.push([child, isPath || (fileObject && (k === 'location' || k === 'path'))]);
      }
    }
  }
}

/**
 * An outputUri a run may write under: `s3://bucket[/prefix]` with a bucket, and a prefix that is a
 * valid object key without `.` or `..` segments (outputs must land where the URI says). The bucket
 * name itself is the object store's to accept when the outputs are written. Throws ValidationException.
 */
export function checkOutputUri(uri: string, field = 'outputUri') {
  const bad = (why: string) => validationError(`Invalid ${field} ${JSON.stringify(uri.length > 200 ? `${uri.slice(0, 200)}…` : uri)}: ${why}`);
  const m = /^s3:\/\/([^/]*)\/?(.*)$/s.exec(uri);
  if (!m) throw bad('expected s3://bucket/prefix');
  const [, bucket, prefix] = m;
  if (!bucket) throw bad('the bucket name is missing');
  if (/[\s\x00-\x1f]/.test(bucket)) throw bad('the bucket name holds white space or control characters');
  if (!prefix) return;
  const problem = keyProblem(prefix);
  if (problem) throw bad(problem);
  if (prefix.split('/').some((s) => s === '.' || s === '..')) throw bad('"." and ".." segments are not allowed');
}
