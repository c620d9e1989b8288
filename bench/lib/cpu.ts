import fs from 'node:fs';

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14 and 15)
}

/** CPU ms per call of the server and of this (client) process over `fn`. */
export async function cpuPerCall(serverPid: number, calls: number, fn: () => Promise<void>) {
  const s0 = cpuMs(serverPid);
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { serverMs: (cpuMs(serverPid) - s0) / calls, clientMs: (c.user + c.system) / 1000 / calls };
}
