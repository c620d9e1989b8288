// Run-batch settings files: a JSON array of entries, written as StartRunBatch's s3UriSettings expects.
import fs from 'node:fs';

const CHUNK_CHARS = 4 << 20;

/**
 * Writes a JSON array of `count` entries to `file`, one a line, `entry(first)` to
 * `entry(first + count - 1)`; an entry that is not a string is JSON.stringify'd. Streams a few MB at
 * a time (never the whole file in memory). Returns the file's size in bytes.
 */
export function writeSettingsFile(file: string, count: number, entry: (i: number) => string | object, first = 0): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    let parts: string[] = ['['];
    let size = 1;
    const flush = () => {
      const buf = Buffer.from(parts.join(''), 'utf8');
      fs.writeSync(fd, buf);
      bytes += buf.length;
      parts = [];
      size = 0;
    };
    for (let i = first; i < first + count; i++) {
      const e = entry(i);
      const text = (i > first ? ',\n' : '\n') + (typeof e === 'string' ? e : JSON.stringify(e));
      parts.push(text);
      size += text.length;
      if (size >= CHUNK_CHARS) flush();
    }
    parts.push('\n]\n');
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}
