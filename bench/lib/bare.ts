import path from 'node:path';
import { spawnTracked, waitForLine, type Child } from './proc.js';

export interface Bare {
  url: string;
  pid: number;
  child: Child;
  stop(): Promise<void>;
}

/** Starts bench/lib/bare-server.ts as a separate process (the same loader as the harness). */
export async function startBare(mode: 'echo' | 'json', file?: string): Promise<Bare> {
  const script = path.join(import.meta.dirname, 'bare-server.ts');
  const child = spawnTracked(process.execPath, ['--import', 'tsx', script, mode, ...(file ? [file] : [])]);
  try {
    const [, url] = await waitForLine(child, /bare listening on (http:\/\/\S+)/, 30_000, 'bare node:http server');
    return { url, pid: child.pid, child, stop: async () => void (await child.stop(5000)) };
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
}
