import fs from 'node:fs';
import path from 'node:path';
import { namedEntries, parseCwl, pickProcess, processInputs, shortId, type CwlDoc } from '../../domain/workflows/cwl-document.js';
import type { RunContext } from './engine.js';
import { gibFromMib, wholeCpus } from './engine.js';

/**
 * What the local executor needs to know of a CWL document: the types of the main process's inputs
 * (to pass s3:// strings as File or Directory objects) and each step's resource requirement (to
 * report task cpus and memory). Read leniently: anything unreadable falls back to defaults, and
 * the engine itself reports real problems.
 */

type Doc = CwlDoc;

export interface Resources {
  cpus: number;
  /** GiB */
  memory: number;
}

/** cwltool's defaults: coresMin 1, ramMin 256 MiB. */
export const DEFAULT_RESOURCES: Resources = { cpus: 1, memory: 1 };

export interface CwlInfo {
  /** Declared type of each input of the main process, by input name. */
  inputTypes: Map<string, unknown>;
  /** Resources of the tool a job (step name, or the tool file's name) runs. */
  resourcesOf(jobName: string): Resources;
  /** The most any one step needs (cwltool runs steps one at a time): what a Slurm job for the whole run asks for. */
  peak: Resources;
}

/**
 * The most omicsd reads of one CWL file, and of all the files of one definition together. A CWL
 * document is text of a few KiB to a few hundred; 4 MiB leaves room for generated ones, and the
 * total bounds a definition whose steps name many large files. Beyond either, omicsd learns
 * nothing from the file (defaults), and the engine reports the problem from its sandbox.
 */
export const MAX_CWL_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_CWL_TOTAL_BYTES = 32 * 1024 * 1024;

const within = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Reads a CWL file for omicsd itself, which runs with more rights than any workflow: only a regular
 * file whose real path (symbolic links resolved) is inside the definition folder, and at most
 * `MAX_CWL_FILE_BYTES`. Anything else (`/dev/zero`, `../../../etc/shadow`, a FIFO, a link leaving
 * the folder, a huge file) is undefined: no information. Opened without following a last link and
 * without blocking, then checked on the open file, so it cannot be swapped in between.
 */
export function readDefinitionFile(root: string, file: string, budget?: { left: number }): string | undefined {
  let fd: number | undefined;
  try {
    const realRoot = fs.realpathSync(root);
    const real = fs.realpathSync(file);
    if (!within(realRoot, real)) return undefined;
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_CWL_FILE_BYTES) return undefined;
    if (budget && st.size > budget.left) return undefined;
    const buf = Buffer.alloc(Math.min(st.size + 1, MAX_CWL_FILE_BYTES + 1));
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    if (n > MAX_CWL_FILE_BYTES) return undefined; // grew while being read
    if (budget) budget.left -= n;
    return buf.toString('utf8', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function loadDoc(root: string, file: string, budget: { left: number }): Doc | undefined {
  const text = readDefinitionFile(root, file, budget);
  if (text === undefined) return undefined;
  try {
    return parseCwl(text);
  } catch {
    return undefined;
  }
}

function requirement(proc: Doc | undefined, cls: string): Doc | undefined {
  for (const field of ['requirements', 'hints']) {
    const raw = proc?.[field];
    if (Array.isArray(raw)) {
      const hit = raw.find((r: Doc) => r?.class === cls);
      if (hit) return hit;
    } else if (raw && typeof raw === 'object' && raw[cls]) {
      return raw[cls];
    }
  }
  return undefined;
}

function resourcesFrom(...procs: (Doc | undefined)[]): Resources {
  const out = { ...DEFAULT_RESOURCES };
  // The first process that states a number wins (a step's own requirement over its tool's).
  let cpusSet = false;
  let memSet = false;
  for (const p of procs) {
    const r = requirement(p, 'ResourceRequirement');
    if (!r) continue;
    const cores = typeof r.coresMin === 'number' ? r.coresMin : typeof r.coresMax === 'number' ? r.coresMax : undefined;
    const ram = typeof r.ramMin === 'number' ? r.ramMin : typeof r.ramMax === 'number' ? r.ramMax : undefined;
    if (!cpusSet && cores !== undefined) {
      out.cpus = wholeCpus(cores);
      cpusSet = true;
    }
    if (!memSet && ram !== undefined) {
      out.memory = gibFromMib(ram);
      memSet = true;
    }
  }
  return out;
}

/**
 * What omicsd learns of a CWL definition: its main file and the files its steps `run:`, read only
 * inside `definitionDir` (readDefinitionFile).
 */
export function readCwl(mainPath: string, definitionDir: string): CwlInfo {
  const budget = { left: MAX_CWL_TOTAL_BYTES };
  const mainDoc = loadDoc(definitionDir, mainPath, budget);
  const root = pickProcess(mainDoc);
  const inputTypes = new Map(processInputs(root).map((input) => [input.name, input.type]));
  const byStep = new Map<string, Resources>();
  const seen = new Set<string>();
  const walk = (proc: Doc | undefined, file: string, graph: Doc | undefined, inherited: Doc[]) => {
    if (!proc || proc.class !== 'Workflow') return;
    for (const [name, step] of namedEntries(proc.steps)) {
      let run: Doc | undefined;
      let runFile = file;
      let runGraph = graph;
      if (typeof step?.run === 'string') {
        const [rel, fragment] = step.run.split('#');
        if (rel) {
          runFile = path.resolve(path.dirname(file), rel);
          if (seen.has(step.run + runFile)) continue;
          seen.add(step.run + runFile);
          runGraph = loadDoc(definitionDir, runFile, budget);
          run = pickProcess(runGraph, fragment);
        } else {
          run = pickProcess(graph, fragment);
        }
      } else if (step?.run && typeof step.run === 'object') {
        run = step.run;
      }
      if (!byStep.has(name)) byStep.set(name, resourcesFrom(step, run, ...inherited));
      walk(run, runFile, runGraph, [step, ...inherited]);
    }
  };
  walk(root, mainPath, mainDoc, [root ?? {}]);
  const mainResources = root?.class === 'Workflow' ? DEFAULT_RESOURCES : resourcesFrom(root);
  const all = [mainResources, ...byStep.values()];
  return {
    inputTypes,
    peak: { cpus: Math.max(...all.map((r) => r.cpus)), memory: Math.max(...all.map((r) => r.memory)) },
    resourcesOf(jobName: string) {
      return byStep.get(jobName) ?? byStep.get(jobName.replace(/_\d+$/, '')) ?? mainResources;
    },
  };
}

const isS3 = (v: unknown): v is string => typeof v === 'string' && v.startsWith('s3://');

/** Stages File/Directory objects whose location or path is an s3:// URI, anywhere inside `value`. */
async function stageObjects(value: unknown, ctx: RunContext): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => stageObjects(v, ctx)));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Doc;
  const out: Doc = {};
  for (const [k, v] of Object.entries(obj)) out[k] = await stageObjects(v, ctx);
  if (obj.class === 'File' || obj.class === 'Directory') {
    const uri = isS3(obj.location) ? obj.location : isS3(obj.path) ? obj.path : undefined;
    if (uri) {
      delete out.location;
      out.path = obj.class === 'File' ? await ctx.stageFile(uri) : await ctx.stageDirectory(uri);
    }
  }
  return out;
}

function baseType(t: unknown): { kind: 'File' | 'Directory' | 'array' | 'union' | 'other'; items?: unknown; members?: unknown[] } {
  if (typeof t === 'string') {
    let s = t.endsWith('?') ? t.slice(0, -1) : t;
    if (s.endsWith('[]')) return { kind: 'array', items: s.slice(0, -2) };
    s = shortId(s);
    return s === 'File' || s === 'Directory' ? { kind: s } : { kind: 'other' };
  }
  if (Array.isArray(t)) return { kind: 'union', members: t.filter((m) => m !== 'null') };
  if (t && typeof t === 'object' && (t as Doc).type === 'array') return { kind: 'array', items: (t as Doc).items };
  return { kind: 'other' };
}

/**
 * One CWL input value: strings given for File/Directory inputs become `{class, path}` objects,
 * staged from the object store when they are s3:// URIs (as HealthOmics accepts plain URIs).
 */
export async function cwlValue(type: unknown, value: unknown, ctx: RunContext): Promise<unknown> {
  if (value === null || value === undefined) return value;
  const t = baseType(type);
  if (t.kind === 'union') {
    for (const m of t.members!) {
      const mt = baseType(m);
      if (typeof value === 'string' && (mt.kind === 'File' || mt.kind === 'Directory')) return cwlValue(m, value, ctx);
      if (Array.isArray(value) && mt.kind === 'array') return cwlValue(m, value, ctx);
    }
    return stageObjects(value, ctx);
  }
  if (t.kind === 'array' && Array.isArray(value)) return Promise.all(value.map((v) => cwlValue(t.items, v, ctx)));
  if ((t.kind === 'File' || t.kind === 'Directory') && typeof value === 'string') {
    if (isS3(value)) {
      const local = t.kind === 'File' ? await ctx.stageFile(value) : await ctx.stageDirectory(value);
      return { class: t.kind, path: local };
    }
    return { class: t.kind, path: value };
  }
  return stageObjects(value, ctx);
}

/** The CWL job object for the run: each parameter shaped by its declared input type. */
export async function cwlJob(ctx: RunContext, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { inputTypes } = readCwl(ctx.mainPath, ctx.definitionDir);
  const job: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) job[name] = await cwlValue(inputTypes.get(name), value, ctx);
  return job;
}
