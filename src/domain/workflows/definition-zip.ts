import path from 'node:path';
import { unzipSync } from 'fflate';
import { languageOfFile } from './languages.js';

/** A definition zip's files by their path inside the zip (folders left out). */
export type DefinitionFiles = Record<string, Uint8Array>;

/** A definition that cannot be used; the message is shown as the workflow's or run's statusMessage. */
export class DefinitionError extends Error {}

/**
 * Opens a definition zip. Entry names must stay inside the folder the zip is unpacked into: absolute
 * paths and `..` segments are refused here, before anything is written anywhere.
 */
export function readDefinitionZip(zip: Uint8Array): DefinitionFiles {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (err) {
    throw new DefinitionError(`The workflow definition is not a valid zip archive: ${(err as Error).message}`);
  }
  const files: DefinitionFiles = {};
  for (const [name, data] of Object.entries(entries)) {
    const normal = path.posix.normalize(name.replace(/\\/g, '/'));
    if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
      throw new DefinitionError(`The definition entry ${JSON.stringify(name)} points outside the definition folder`);
    }
    if (!name.endsWith('/')) files[name] = data;
  }
  return files;
}

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
