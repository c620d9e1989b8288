import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DefinitionError, findMainFile, readDefinitionZip, type DefinitionFiles } from '../../domain/workflows/definition-zip.js';
import { parseS3Uri, type ObjectStore } from '../../objectstore/object-store.js';

/** A run could not be prepared; `code` becomes its failureReason. */
export class PrepareError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'PrepareError';
  }
}

/** Keeps `rel` inside `root`; throws for absolute paths and `..` escapes. */
function inside(root: string, rel: string, what: string): string {
  const target = path.resolve(root, rel);
  if (path.isAbsolute(rel) || (target !== root && !target.startsWith(root + path.sep))) {
    throw new PrepareError('INVALID_DEFINITION', `${what} ${JSON.stringify(rel)} points outside the run folder`);
  }
  return target;
}

/**
 * Unpacks the definition zip into `dir` and returns the absolute path of its main file, found by the
 * same rules CreateWorkflow used (docs/workflows.md).
 */
export async function unpackDefinition(zip: Uint8Array, dir: string, main: string | undefined): Promise<string> {
  let files: DefinitionFiles;
  let mainFile: string;
  try {
    files = await readDefinitionZip(zip);
    mainFile = findMainFile(Object.keys(files), main);
  } catch (err) {
    if (err instanceof DefinitionError) throw new PrepareError('INVALID_DEFINITION', err.message);
    throw err;
  }
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    const target = inside(root, name, 'The definition entry');
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, data);
  }
  return path.join(root, mainFile);
}

/**
 * Copies s3:// objects into `<inputsDir>/<bucket>/<key>`, each at most once per run, keeping their
 * file names (CWL tools see the basename). `inputsDir` is the run's own `inputs/`, or, for a run
 * with a run cache, the cache's shared one (`reuse`): the engine's cache keys hold input paths, so
 * every run of the cache must see an input at the same path. There a copy is reused while the
 * object's ETag is the one it was copied at, and replaced atomically when the object changed.
 */
export class Stager {
  private files = new Map<string, Promise<string>>();
  private root: string;

  constructor(private objects: ObjectStore, inputsDir: string, private reuse = false) {
    this.root = path.resolve(inputsDir);
  }

  stageFile(uri: string): Promise<string> {
    let p = this.files.get(uri);
    if (!p) {
      p = this.copy(uri);
      this.files.set(uri, p);
    }
    return p;
  }

  private async copy(uri: string): Promise<string> {
    const loc = this.parse(uri, false);
    const target = inside(this.root, path.join(loc.bucket, loc.key), 'The input');
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      if (!this.reuse) {
        const { body } = await this.objects.read(loc);
        await pipeline(body, createWriteStream(target));
        return target;
      }
      const stamp = path.join(this.root, '.etags', createHash('sha256').update(uri).digest('hex'));
      const { etag } = await this.objects.head(loc);
      if (await fs.readFile(stamp, 'utf8').then((t) => t === etag, () => false) && await fs.stat(target).then(() => true, () => false)) return target;
      const { body } = await this.objects.read(loc, { ifMatch: etag });
      const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
      await pipeline(body, createWriteStream(temp));
      await fs.rename(temp, target);
      await fs.mkdir(path.dirname(stamp), { recursive: true });
      await fs.writeFile(stamp, etag);
    } catch (err) {
      throw new PrepareError('INPUT_NOT_READABLE', `Could not read the input ${uri}: ${(err as Error).message}`);
    }
    return target;
  }

  async stageDirectory(uri: string): Promise<string> {
    const loc = this.parse(uri, true);
    const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/`;
    const dir = inside(this.root, path.join(loc.bucket, prefix || '.'), 'The input');
    await fs.mkdir(dir, { recursive: true });
    let n = 0;
    try {
      for await (const obj of this.objects.list(loc.bucket, prefix)) {
        if (obj.key.endsWith('/')) continue;
        await this.stageFile(`s3://${loc.bucket}/${obj.key}`);
        n++;
      }
    } catch (err) {
      if (err instanceof PrepareError) throw err;
      throw new PrepareError('INPUT_NOT_READABLE', `Could not list the input ${uri}: ${(err as Error).message}`);
    }
    if (n === 0) throw new PrepareError('INPUT_NOT_READABLE', `The input folder ${uri} holds no objects`);
    return dir;
  }

  private parse(uri: string, allowEmptyKey: boolean) {
    try {
      return parseS3Uri(uri, 'input', { allowEmptyKey });
    } catch (err) {
      throw new PrepareError('INVALID_INPUT', (err as Error).message);
    }
  }
}
