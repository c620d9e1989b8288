import path from 'node:path';
import { startListening, type Child } from '../../test/support/process.js';

export interface Bare {
  url: string;
  pid: number;
  child: Child;
  stop(): Promise<void>;
}

/** Starts bench/lib/bare-server.ts as a separate process (the same loader as the harness). */
export async function startBare(mode: 'echo' | 'json', file?: string): Promise<Bare> {
  const script = path.join(import.meta.dirname, 'bare-server.ts');
  const { child, url } = await startListening(process.execPath, ['--import', 'tsx', script, mode, ...(file ? [file] : [])], {
    line: /bare listening on (http:\/\/\S+)/, ms: 30_000, what: 'bare node:http server',
  });
  return { url, pid: child.pid, child, stop: async () => void (await child.stop(5000)) };
}
