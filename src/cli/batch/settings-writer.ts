import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';

/** Most entries StartRunBatch takes inline; more go in a settings file behind an s3:// URI. */
export const MAX_INLINE_SETTINGS = 100;

/**
 * Collects batch entries as they are read: the first MAX_INLINE_SETTINGS + 1 in memory (enough to
 * know whether they fit inline), every one of them streamed into a JSON array file, so that a
 * 100,000-row sheet never sits in memory.
 */
export class SettingsWriter {
  readonly head: object[] = [];
  count = 0;
  private constructor(private readonly dir: string, readonly file: string, private readonly out: WriteStream) {}

  static async create(): Promise<SettingsWriter> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'omicsd-settings-'));
    const file = path.join(dir, 'settings.json');
    const out = createWriteStream(file);
    out.write('[\n');
    return new SettingsWriter(dir, file, out);
  }

  async add(entry: object) {
    if (this.head.length <= MAX_INLINE_SETTINGS) this.head.push(entry);
    const ok = this.out.write(`${this.count === 0 ? '' : ',\n'}${JSON.stringify(entry)}`);
    this.count++;
    if (!ok) await once(this.out, 'drain');
  }

  get fitsInline() {
    return this.count <= MAX_INLINE_SETTINGS;
  }

  /** Closes the file; it is complete JSON from then on. */
  async finish() {
    this.out.end('\n]\n');
    await once(this.out, 'close');
  }

  async dispose() {
    // Abandoned half-written: a write still pending must not surface as an unhandled error.
    this.out.on('error', () => {});
    this.out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
