import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { which } from './engine.js';

/**
 * The sandbox every engine runs in (docs/runs.md, "Sandbox"): bubblewrap (`bwrap`, Debian package
 * `bubblewrap`) around the whole engine command, so the engine and every tool it starts
 *  - run as uid/gid 65534 (nobody/nogroup), never as root;
 *  - see only the run's own folder (read-only, with `out/` and `tmp/` writable), read-only system
 *    folders (/usr and its /bin, /lib, /lib64, /sbin links), a few /etc files an interpreter needs,
 *    a /etc/passwd and /etc/group of their own naming only nobody, and a private /proc, /dev, /tmp;
 *  - have no network (a network namespace with only loopback), and their own pid, ipc and uts
 *    namespaces;
 *  - may each map at most 3/4 of the machine's memory (RLIMIT_AS through `prlimit`).
 *
 * Why uid 65534 (nobody/nogroup) and not a dedicated user: it exists on every Debian system (no
 * useradd step for operators), owns nothing on the host, and inside the sandbox no other
 * process is visible (pid namespace), so runs sharing the uid cannot reach each other.
 *
 * How the uid is reached depends on who runs omicsd:
 *  - as root: bwrap (root) builds the namespaces and mounts without a user namespace — with one,
 *    uid 65534 inside would be uid 0 outside, the owner of every root file — and runs
 *    `setpriv --reuid 65534 --regid 65534 --clear-groups` with every capability dropped and
 *    no_new_privs, so the engine is uid 65534 on the host too. The writable folders (`out/`, `tmp/`)
 *    are chowned to 65534 beforehand; what the engine writes there is owned by 65534 and read and
 *    removed by omicsd as root.
 *  - as another user: bwrap makes an unprivileged user namespace and maps uid 65534 inside to
 *    omicsd's own uid outside; files it creates are omicsd's.
 *
 * The bwrap process's parent is the run's `sh` wrapper (engine-process.ts), not omicsd, so
 * `--die-with-parent` ends the sandbox only when that wrapper dies, and engines outlive omicsd as
 * before. The sandbox gets a clean environment (sandboxEnv: no AWS_* or other secrets of omicsd's)
 * that carries the run marker (process-tree.ts), so it is still in /proc/<pid>/environ of every
 * sandboxed process as the host sees it (bwrap itself inherits it), and no new session is made,
 * so the engine stays in the wrapper's process group.
 */

export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/** The one flag that runs tools without the sandbox (src/cli/serve-command.ts). */
export const UNSAFE_FLAG = '--unsafe-run-tools-unsandboxed';

export const UNSAFE_WARNING = `WARNING: ${UNSAFE_FLAG} is set: workflow tools run UNSANDBOXED with omicsd's own user`
  + ' and can read and write anything it can (and reach the network)';

/** /etc entries an interpreter (Python, sh, a JVM) may read, bound read-only where they exist. Nothing secret. */
const ETC = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'nsswitch.conf', 'localtime', 'timezone', 'alternatives', 'mime.types',
  'os-release', 'debian_version', 'hosts', 'host.conf', 'protocols', 'services', 'ssl', 'ca-certificates', 'java-17-openjdk',
  'java-21-openjdk', 'python3',
];

/** What the sandbox of one run is made of. */
export interface SandboxLayout {
  /** The run folder, bound read-only at its own path. */
  runDir: string;
  /** Folders inside the run folder the engine writes to, bound read-write over it. */
  writable: string[];
  /** The engine's working directory, HOME and TMPDIR (one of `writable`). */
  workDir: string;
  /** The engine's executable: bound read-only when it lives outside /usr. */
  executable: string;
  /** Address-space limit (RLIMIT_AS) of each process in the sandbox, in bytes (defaultMemoryLimit). */
  memoryBytes: number;
  /** Further host folders bound read-only at their own paths (e.g. the roots local-path inputs may name). */
  readOnly?: string[];
  /**
   * Keep the host's network (no network namespace): only for an engine that must reach a service
   * itself, a Toil leader submitting its steps to Slurm (docs/slurm.md, "Toil steps as Slurm jobs").
   */
  shareNetwork?: boolean;
  /** Host users (and groups of the same names) the sandbox's /etc/passwd and /etc/group also name. */
  users?: string[];
}

/**
 * The default RLIMIT_AS of each sandboxed process: 3/4 of the machine's memory. A guard, not a
 * quota: it stops one process from taking the whole machine (an engine told to read `/dev/zero` as a
 * CWL file grows by ~100 MB/s until it fails), and leaves room for a JVM's reservations.
 */
export const defaultMemoryLimit = () => Math.floor((os.totalmem() * 3) / 4);

const isRoot = () => process.getuid?.() === 0;

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

/** The bwrap executable (absolute), or undefined when it is not installed. */
export function findBwrap(command = 'bwrap'): string | undefined {
  return which(command);
}

export const unavailableMessage = (command: string) => `Workflow tools run in a bubblewrap sandbox, and ${command === 'bwrap' ? 'bwrap is not installed (looked on PATH)' : `the configured bwrap command "${command}" was not found`}:`
  + ` apt-get install bubblewrap (or start omicsd with ${UNSAFE_FLAG} to run tools without a sandbox, as omicsd's own user)`;

/**
 * /etc/passwd and /etc/group of the sandbox: only the sandbox user, with its home in the work dir,
 * and the host's entries of `users` (e.g. SlurmUser, which Slurm's client tools look up).
 */
function identityFiles(home: string, users: string[] = []) {
  const hostLines = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').split('\n').filter((l) => users.includes(l.split(':')[0]));
    } catch {
      return [];
    }
  };
  return {
    passwd: [`nobody:x:${SANDBOX_UID}:${SANDBOX_GID}:nobody:${home}:/usr/sbin/nologin`, ...hostLines('/etc/passwd')].join('\n') + '\n',
    group: [`nogroup:x:${SANDBOX_GID}:`, ...hostLines('/etc/group')].join('\n') + '\n',
  };
}

/** Where a run's sandbox identity files go (inside the run folder, read-only to the engine). */
const identityDir = (runDir: string) => path.join(runDir, 'sandbox');

/**
 * Makes the run folder usable by the sandbox user: the identity files written, everything omicsd
 * put there readable (whatever omicsd's umask), and, when omicsd is root, the writable folders owned
 * by uid 65534.
 */
export async function prepareSandbox(layout: SandboxLayout): Promise<void> {
  const ids = identityFiles(layout.workDir, layout.users);
  const dir = identityDir(layout.runDir);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'passwd'), ids.passwd);
  await fsp.writeFile(path.join(dir, 'group'), ids.group);
  const readable = async (p: string) => {
    const st = await fsp.lstat(p);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      await fsp.chmod(p, (st.mode & 0o7777) | 0o555);
      if (layout.writable.includes(p)) return;
      for (const name of await fsp.readdir(p)) await readable(path.join(p, name));
    } else {
      await fsp.chmod(p, (st.mode & 0o7777) | 0o444);
    }
  };
  await readable(layout.runDir);
  if (isRoot()) {
    for (const w of layout.writable) {
      await fsp.mkdir(w, { recursive: true });
      await fsp.chown(w, SANDBOX_UID, SANDBOX_GID);
      await fsp.chmod(w, 0o755);
    }
  }
}

/** Variables of omicsd's environment an engine may see: nothing that could hold a secret (AWS_*, OMICSD_*, tokens …). */
const PASSED_ENV = /^(PATH|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TERM|NO_COLOR|JAVA_HOME|NXF_(?!.*(TOKEN|SECRET|PASSWORD|KEY))[A-Z0-9_]+)$/;

/**
 * The environment inside the sandbox: the harmless part of omicsd's own (PASSED_ENV) and `extra`
 * (the adapter's variables and the run marker). bwrap starts from an empty environment (--clearenv).
 */
export function sandboxEnv(env: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && PASSED_ENV.test(k)) out[k] = v;
  return { ...out, ...extra };
}

/** The full command line: bwrap, its options, then the engine command. */
export function sandboxArgv(bwrap: string, layout: SandboxLayout, command: string[], env: Record<string, string> = {}): string[] {
  const root = isRoot();
  const a: string[] = [bwrap];
  // Namespaces: everything but the user namespace when root (see above), which --unshare-all would try.
  if (root) a.push('--unshare-ipc', '--unshare-pid', ...(layout.shareNetwork ? [] : ['--unshare-net']), '--unshare-uts', '--unshare-cgroup-try');
  else a.push('--unshare-all', ...(layout.shareNetwork ? ['--share-net'] : []), '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID), '--disable-userns');
  a.push('--die-with-parent', '--hostname', 'omicsd-sandbox');
  // The system, read-only; Debian's merged /usr makes /bin, /lib, /lib64, /sbin links into it.
  a.push('--ro-bind', '/usr', '/usr');
  for (const top of ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin']) {
    const p = `/${top}`;
    let target: string | undefined;
    try {
      target = fs.readlinkSync(p);
    } catch {
      if (fs.existsSync(p)) a.push('--ro-bind', p, p);
      continue;
    }
    a.push('--symlink', target, p);
  }
  a.push('--proc', '/proc', '--dev', '/dev', '--perms', '01777', '--tmpfs', '/tmp', '--perms', '01777', '--tmpfs', '/dev/shm');
  a.push('--perms', '0755', '--dir', '/etc');
  for (const name of layout.shareNetwork ? [...ETC, 'resolv.conf'] : ETC) {
    const p = `/etc/${name}`;
    if (fs.existsSync(p)) a.push('--ro-bind', p, p);
  }
  const ids = identityDir(layout.runDir);
  a.push('--ro-bind', path.join(ids, 'passwd'), '/etc/passwd', '--ro-bind', path.join(ids, 'group'), '/etc/group');
  // An engine installed outside /usr (e.g. /opt/nextflow/bin): its folder, read-only.
  let exe = layout.executable;
  try {
    exe = fs.realpathSync(exe);
  } catch {
    // bound as given
  }
  const made = new Set<string>(['/', '/etc', '/tmp', '/usr', '/proc', '/dev']);
  const parents = (p: string) => {
    // bwrap would make missing parents 0700 (unreadable to the sandbox user): make them 0755 first.
    const chain: string[] = [];
    for (let d = path.dirname(p); d !== '/' && !made.has(d) && !within('/usr', d); d = path.dirname(d)) chain.unshift(d);
    for (const d of chain) {
      a.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
  };
  if (!within('/usr', exe)) {
    const dir = path.dirname(exe);
    parents(dir);
    a.push('--ro-bind', dir, dir);
  }
  for (const ro of layout.readOnly ?? []) {
    if (!fs.existsSync(ro)) continue;
    parents(ro);
    a.push('--ro-bind', ro, ro);
  }
  parents(layout.runDir);
  a.push('--ro-bind', layout.runDir, layout.runDir);
  for (const w of layout.writable) {
    // A writable folder outside the run folder (a run cache's) needs its parents too.
    if (!within(layout.runDir, w)) parents(w);
    a.push('--bind', w, w);
  }
  a.push('--clearenv');
  for (const [k, v] of Object.entries(env)) a.push('--setenv', k, v);
  a.push('--chdir', layout.workDir, '--setenv', 'HOME', layout.workDir, '--setenv', 'TMPDIR', layout.workDir);
  a.push('--setenv', 'USER', 'nobody', '--setenv', 'LOGNAME', 'nobody');
  a.push('--', '/usr/bin/prlimit', `--as=${Math.max(1, Math.floor(layout.memoryBytes))}`, '--');
  if (root) {
    // Root outside: become uid 65534 for real, with no capabilities and no way to regain any.
    a.push('/usr/bin/setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_GID}`, '--clear-groups',
      '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--');
  }
  return [...a, ...command];
}

type SandboxProbe = { ok: true } | { ok: false; error: string };

/**
 * Whether bwrap works here (installed is not working: e.g. a container without the capability to
 * make namespaces): `id -u` in a minimal sandbox must answer 65534. Success is kept; a failure is
 * tried again after a minute.
 */
const probes = new Map<string, { at: number; ok?: boolean; result: Promise<SandboxProbe> }>();

export function probeSandbox(bwrap: string): Promise<SandboxProbe> {
  const hit = probes.get(bwrap);
  if (hit && (hit.ok !== false || Date.now() - hit.at < 60_000)) return hit.result;
  const root = isRoot();
  const args = [
    ...(root ? ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts'] : ['--unshare-all', '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID)]),
    '--die-with-parent', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib',
    ...(fs.existsSync('/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []), '--proc', '/proc', '--dev', '/dev', '--',
    ...(root ? ['/usr/bin/setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_GID}`, '--clear-groups', '--'] : []), '/usr/bin/id', '-u',
  ];
  const entry: { at: number; ok?: boolean; result: Promise<SandboxProbe> } = { at: Date.now(), result: Promise.resolve({ ok: true }) };
  entry.result = new Promise<SandboxProbe>((resolve) => {
    let out = '';
    const child = spawn(bwrap, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && out.trim() === String(SANDBOX_UID)) resolve({ ok: true });
      else resolve({ ok: false, error: `${bwrap} exited with ${code}: ${out.trim().slice(-500)}` });
    });
  }).then((r) => {
    entry.ok = r.ok;
    entry.at = Date.now();
    return r;
  });
  probes.set(bwrap, entry);
  return entry.result;
}
