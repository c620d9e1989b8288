import path from 'node:path';
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
import { languageOfFile } from './languages.js';

/** A definition zip's files by their path inside the zip (folders left out). */
export type DefinitionFiles = Record<string, Uint8Array>;

/** A definition that cannot be used; the message is shown as the workflow's or run's statusMessage. */
export class DefinitionError extends Error {}

/** What a definition zip may hold (docs/quotas.md): counted as it is inflated, never trusting its headers. */
export const DEFINITION_LIMITS = {
  entries: 5_000,
  /** All files together, uncompressed. */
  bytes: 128 * 1024 * 1024,
  nameBytes: 1024,
};

/** Bytes of compressed input inflated per step: at most ~1,000× that comes out, so a step stays short. */
const STEP_BYTES = 2 * 1024;

/** Why an entry name cannot be a file of the unpacked definition, or undefined. */
function nameProblem(name: string): string | undefined {
  if (Buffer.byteLength(name) > DEFINITION_LIMITS.nameBytes) return `is longer than ${DEFINITION_LIMITS.nameBytes} bytes`;
  if (/[\u0000-\u001f]/.test(name)) return 'holds a control character';
  const normal = path.posix.normalize(name.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) return 'points outside the definition folder';
  return undefined;
}

/**
 * Opens a definition zip without trusting it: entry names must stay inside the folder the zip is
 * unpacked into, a name may not be both a file and a folder, and the entry count and the real
 * uncompressed size are counted as the data is inflated, a small step at a time with the event loop
 * free in between, so a zip bomb is stopped at the limit instead of filling memory or blocking requests.
 */
export async function readDefinitionZip(zip: Uint8Array): Promise<DefinitionFiles> {
  const files: DefinitionFiles = {};
  const chunks = new Map<string, Uint8Array[]>();
  let entries = 0;
  let total = 0;
  let failure: Error | undefined;
  const fail = (message: string) => {
    failure ??= new DefinitionError(message);
  };
  const unzip = new Unzip((file) => {
    if (failure) return;
    if (++entries > DEFINITION_LIMITS.entries) return fail(`The definition zip holds more than ${DEFINITION_LIMITS.entries} entries`);
    const problem = nameProblem(file.name);
    if (problem) return fail(`The definition entry ${JSON.stringify(file.name.slice(0, 200))} ${problem}`);
    if (file.name.endsWith('/')) return;
    const parts: Uint8Array[] = [];
    chunks.set(file.name, parts);
    file.ondata = (err, data, final) => {
      if (failure) return;
      if (err) return fail(`The workflow definition is not a valid zip archive: ${err.message}`);
      total += data.length;
      if (total > DEFINITION_LIMITS.bytes) return fail(`The definition zip expands to more than ${DEFINITION_LIMITS.bytes} bytes`);
      parts.push(data);
      if (final) files[file.name] = concat(parts);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  try {
    for (let offset = 0; offset < zip.length && !failure; offset += STEP_BYTES) {
      unzip.push(zip.subarray(offset, offset + STEP_BYTES), offset + STEP_BYTES >= zip.length);
      await new Promise((r) => setImmediate(r));
    }
  } catch (err) {
    fail(`The workflow definition is not a valid zip archive: ${(err as Error).message}`);
  }
  if (failure) throw failure;
  if (!zip.length || (!entries && !isEmptyZip(zip))) throw new DefinitionError('The workflow definition is not a valid zip archive');
  const incomplete = [...chunks.keys()].filter((name) => !(name in files));
  if (incomplete.length) throw new DefinitionError(`The workflow definition is not a valid zip archive: ${incomplete[0]} is cut short`);
  const names = Object.keys(files);
  const asFolders = new Set(names.flatMap((n) => n.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  const clash = names.find((n) => asFolders.has(n));
  if (clash) throw new DefinitionError(`The definition entry ${JSON.stringify(clash)} is both a file and a folder`);
  return files;
}

const concat = (parts: Uint8Array[]) => (parts.length === 1 ? parts[0] : Buffer.concat(parts));

/** A zip with no entries is just its 22-byte end record. */
const isEmptyZip = (zip: Uint8Array) => zip.length >= 22 && zip[0] === 0x50 && zip[1] === 0x4b && zip[2] === 0x05 && zip[3] === 0x06;

/**
 * The main file among a definition's files (docs/workflows.md): the one `wanted` names (exactly, or
 * as a path suffix); else the only workflow file (.cwl, .wdl, .nf); else the only one named `main.*`.
 */
export function findMainFile(paths: string[], wanted: string | undefined): string {
  if (wanted) {
    const main = paths.find((p) => p === wanted || p.endsWith(`/${wanted}`));
    if (!main) throw new DefinitionError(`The main file ${wanted} is not in the definition zip (it holds: ${paths.slice(0, 20).join(', ')})`);
    return main;
  }
  const definitions = paths.filter((p) => languageOfFile(p) !== undefined);
  if (definitions.length === 1) return definitions[0];
  const named = definitions.filter((p) => /(^|\/)main\.[A-Za-z]+$/.test(p));
  if (named.length === 1) return named[0];
  throw new DefinitionError(definitions.length
    ? `The definition zip holds several workflow files (${definitions.slice(0, 10).join(', ')}); name the main one with 'main'`
    : 'The definition zip holds no workflow file (.cwl, .wdl or .nf)');
}
