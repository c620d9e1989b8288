import fs from 'node:fs';

/**
 * Finding and stopping every process an engine started. An engine is spawned in its own process
 * group with `OMICSD_RUN_MARKER=<marker>` in its environment. Its processes are then:
 *  - the members of its process group (cwltool runs tools in it, even once cwltool itself is gone);
 *  - its descendants, followed through parent links while the parents live;
 *  - processes that carry the marker in their environment: Toil's single-machine workers start a
 *    session of their own and outlive their parent, but inherit the environment;
 *  - and the members of every process group any of the above leads or belongs to (a Toil worker's
 *    tool runs in the worker's group with a cleaned environment).
 * On a system without /proc only the engine's own process group is signalled.
 */

export const MARKER_ENV = 'OMICSD_RUN_MARKER';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat): tells a reused pid apart. */
  startTicks: number;
}

const hasProc = () => fs.existsSync('/proc/self/stat');

function readStat(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field N is f[N - 3].
  if (f[0] === 'Z' || f[0] === 'X') return undefined; // a zombie holds no resources and cannot be signalled away
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), startTicks: Number(f[19]) };
}

/** Every live process, from /proc (empty where there is none). */
export function listProcesses(): ProcInfo[] {
  if (!hasProc()) return [];
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) out.push(info);
  }
  return out;
}

export function processInfo(pid: number): ProcInfo | undefined {
  return readStat(pid);
}

function hasMarker(pid: number, needle: Buffer): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`).includes(needle);
  } catch {
    return false;
  }
}

/**
 * The processes that belong to the engine started as `rootPid` (its group leader) with `marker`.
 * Without `rootPid` (its pid was since reused by another process), only the marker finds them.
 */
export function engineProcesses(rootPid: number | undefined, marker: string): ProcInfo[] {
  const procs = listProcesses();
  const self = readStat(process.pid);
  const ownGroups = new Set([process.pid, self?.pgid, self?.sid].filter((v): v is number => v !== undefined));
  const needle = Buffer.from(`${MARKER_ENV}=${marker}\0`);
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const picked = new Map<number, ProcInfo>();
  const groups = new Set<number>(rootPid ? [rootPid] : []);
  const visit = (p: ProcInfo) => {
    if (picked.has(p.pid) || p.pid === process.pid) return;
    picked.set(p.pid, p);
    for (const c of children.get(p.pid) ?? []) visit(c);
  };
  for (const p of procs) {
    if ((rootPid && (p.pid === rootPid || p.pgid === rootPid)) || hasMarker(p.pid, needle)) visit(p);
  }
  // Close over process groups: a group that holds one of ours is ours (never omicsd's own).
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of picked.values()) {
      if (!ownGroups.has(p.pgid)) groups.add(p.pgid);
    }
    for (const p of procs) {
      if (!picked.has(p.pid) && groups.has(p.pgid) && !ownGroups.has(p.pgid) && p.pid !== process.pid) {
        visit(p);
        grew = true;
      }
    }
  }
  return [...picked.values()];
}

function signal(target: number, sig: NodeJS.Signals) {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone; EPERM: not ours to signal.
  }
}

/** Sends `sig` to every process of the engine and to each of their process groups. */
export function signalEngine(rootPid: number | undefined, marker: string, sig: NodeJS.Signals): number {
  if (rootPid) signal(-rootPid, sig);
  if (!hasProc()) return 0;
  const procs = engineProcesses(rootPid, marker);
  const self = readStat(process.pid);
  const groups = new Set(procs.map((p) => p.pgid));
  for (const g of groups) if (g > 1 && g !== self?.pgid && g !== process.pid) signal(-g, sig);
  for (const p of procs) signal(p.pid, sig);
  return procs.length;
}

/** Whether anything of the engine is still alive. */
export function engineAlive(rootPid: number | undefined, marker: string): boolean {
  if (hasProc()) return engineProcesses(rootPid, marker).length > 0;
  if (!rootPid) return false;
  try {
    process.kill(-rootPid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGTERM to the whole engine, then SIGKILL to whatever is left after `graceMs`.
 * Resolves once nothing of it remains (or after the last SIGKILL pass).
 */
export async function terminateEngine(rootPid: number | undefined, marker: string, graceMs: number): Promise<void> {
  signalEngine(rootPid, marker, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (engineAlive(rootPid, marker)) {
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 50 && engineAlive(rootPid, marker); i++) {
    signalEngine(rootPid, marker, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}
