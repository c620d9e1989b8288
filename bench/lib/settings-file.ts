import fs from 'node:fs';

/** 1 MiB of pseudo-random bases: entries slice it at different offsets, so no two strings repeat. */
const POOL = (() => {
  const bases = 'ACGT';
  let x = 2463534242;
  let s = '';
  for (let i = 0; i < 1 << 20; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift32
    s += bases[(x >>> 0) & 3];
  }
  return s;
})();

const pad = (i: number) => String(i).padStart(7, '0');
const slice = (i: number, salt: number, len: number) => {
  const at = ((i * 2654435761 + salt * 40503) >>> 0) % (POOL.length - len);
  return POOL.slice(at, at + len);
};

/** One ~10 kB settings entry: a runSettingId plus parameters with long strings (the ingest load). */
export function bigEntry(i: number): string {
  const id = pad(i);
  return JSON.stringify({
    runSettingId: `sample-${id}`,
    name: `sample ${id}`,
    parameters: {
      sample: `S${id}`,
      reads1: `s3://bench-in/fastq/${slice(i, 1, 3270)}_R1.fastq.gz`,
      reads2: `s3://bench-in/fastq/${slice(i, 2, 3270)}_R2.fastq.gz`,
      notes: slice(i, 3, 3270),
    },
  });
}

/** A small entry (the submit, rate and end-to-end load, where run count matters, not bytes). */
export function smallEntry(i: number): string {
  return `{"runSettingId":"r-${pad(i)}","parameters":{"sample":"S${pad(i)}"}}`;
}

async function readOnce(file: string) {
  const t = performance.now();
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  const seconds = (performance.now() - t) / 1000;
  return { mbps: bytes / 1e6 / seconds, bytes, seconds };
}

/** The machine's file-read floor: the faster of two reads of `file` in 1 MiB chunks (the first may warm the cache). */
export async function readRate(file: string): Promise<{ mbps: number; bytes: number; seconds: number }> {
  const a = await readOnce(file);
  const b = await readOnce(file);
  return a.mbps > b.mbps ? a : b;
}

/**
 * The machine's JSON floor: JSON.parse of the same elements, from memory. Elements are made in
 * groups of 500 and decoded from a Buffer (flat strings, as a stream splitter yields them);
 * only the JSON.parse calls are timed.
 */
export function parseRate(count: number, entry: (i: number) => string): { mbps: number; bytes: number; seconds: number } {
  let ms = 0;
  let bytes = 0;
  let keys = 0;
  for (let i = 1; i <= Math.min(count, 500); i++) keys += Object.keys(JSON.parse(entry(i))).length; // JIT warm-up, untimed
  for (let first = 1; first <= count; first += 500) {
    const texts: string[] = [];
    for (let i = first; i < Math.min(count + 1, first + 500); i++) texts.push(entry(i));
    const buf = Buffer.from(texts.join(''), 'utf8');
    const flat: string[] = [];
    let at = 0;
    for (const t of texts) {
      const len = Buffer.byteLength(t);
      flat.push(buf.toString('utf8', at, at + len));
      at += len;
    }
    bytes += buf.length;
    const t0 = performance.now();
    for (const s of flat) keys += Object.keys(JSON.parse(s)).length;
    ms += performance.now() - t0;
  }
  if (keys === 0) throw new Error('parsed nothing');
  return { mbps: bytes / 1e6 / (ms / 1000), bytes, seconds: ms / 1000 };
}
