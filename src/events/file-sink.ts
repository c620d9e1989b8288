import fs from 'node:fs/promises';
import path from 'node:path';
import type { FormattedEvent } from './envelope.js';
import type { EventSink } from './event-sink.js';

/** The events file is rotated at this size: the full file becomes `<file>.1` (replacing the one before). */
export const EVENTS_FILE_MAX_BYTES = 1024 ** 3;

/**
 * Appends each event as one JSON line to a file (`<data-dir>/events.ndjson` by default), written
 * before the cursor moves past it. After a crash the last lines may appear twice, with the same ids.
 * Like the store's commits (synchronous=NORMAL), the lines survive a crash of omicsd, not always a
 * power loss. A 100,000-run batch writes 140 to 230 MB; past 1 GiB the file is rotated.
 */
export class FileSink implements EventSink {
  readonly name: string;
  readonly durable = true;
  private handle: fs.FileHandle | undefined;
  private size = 0;

  private file: string;

  constructor(file: string, private maxBytes = EVENTS_FILE_MAX_BYTES) {
    // Its position in the store is kept under this name: the same file however its path was spelled.
    this.file = path.resolve(file);
    this.name = `file:${this.file}`;
  }

  async deliver(events: FormattedEvent[]) {
    const text = events.map((e) => `${e.json}\n`).join('');
    const bytes = Buffer.byteLength(text);
    await this.open();
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      await this.close();
      await fs.rename(this.file, `${this.file}.1`);
      await this.open();
    }
    await this.handle!.write(text);
    this.size += bytes;
  }

  private async open() {
    if (this.handle) return;
    this.handle = await fs.open(this.file, 'a', 0o640);
    this.size = (await this.handle.stat()).size;
  }

  async close() {
    await this.handle?.close();
    this.handle = undefined;
  }
}
