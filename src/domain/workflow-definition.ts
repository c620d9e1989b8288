import { unzipSync } from 'fflate';
import { parse as parseYaml } from 'yaml';
import type { ParameterSpec, WorkflowEngine } from './model.js';

const ENGINE_BY_EXT: Record<string, WorkflowEngine> = { '.cwl': 'CWL', '.wdl': 'WDL', '.nf': 'NEXTFLOW' };

export interface InspectedDefinition {
  engine: WorkflowEngine;
  main: string;
  files: Record<string, Uint8Array>;
  parameterTemplate?: Record<string, ParameterSpec>;
}

const extOf = (p: string) => {
  const m = /\.[A-Za-z]+$/.exec(p);
  return m ? m[0].toLowerCase() : '';
};

/**
 * Opens a definition zip, finds its main file and engine, and derives a parameter template from the
 * main file's declared inputs. Throws an Error whose message becomes the workflow's statusMessage.
 */
export function inspectDefinition(zip: Uint8Array, wanted: { main?: string; engine?: WorkflowEngine }): InspectedDefinition {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (err) {
    throw new Error(`The workflow definition is not a valid zip archive: ${(err as Error).message}`);
  }
  const paths = Object.keys(files).filter((p) => !p.endsWith('/'));
  const definitions = paths.filter((p) => extOf(p) in ENGINE_BY_EXT);
  let main: string | undefined;
  if (wanted.main) {
    main = paths.find((p) => p === wanted.main || p.endsWith(`/${wanted.main}`));
    if (!main) throw new Error(`The main file ${wanted.main} is not in the definition zip (it holds: ${paths.slice(0, 20).join(', ')})`);
  } else if (definitions.length === 1) {
    main = definitions[0];
  } else {
    const named = definitions.filter((p) => /(^|\/)main\.[A-Za-z]+$/.test(p));
    if (named.length === 1) main = named[0];
  }
  if (!main) {
    throw new Error(definitions.length
      ? `The definition zip holds several workflow files (${definitions.slice(0, 10).join(', ')}); name the main one with 'main'`
      : 'The definition zip holds no workflow file (.cwl, .wdl or .nf)');
  }
  const detected = ENGINE_BY_EXT[extOf(main)];
  const engine = wanted.engine ?? detected;
  if (!engine) throw new Error(`Cannot tell the engine of ${main}; set 'engine' to CWL, WDL or NEXTFLOW`);
  const family = engine === 'WDL_LENIENT' ? 'WDL' : engine;
  if (detected && detected !== family) throw new Error(`engine ${engine} does not match the main file ${main}`);
  const text = Buffer.from(files[main]).toString('utf8');
  let parameterTemplate: Record<string, ParameterSpec> | undefined;
  try {
    parameterTemplate = family === 'CWL' ? cwlInputs(text) : family === 'WDL' ? wdlInputs(text) : nextflowParams(text);
  } catch (err) {
    throw new Error(`Could not read the inputs of ${main}: ${(err as Error).message}`);
  }
  return { engine, main, files, parameterTemplate: parameterTemplate && Object.keys(parameterTemplate).length ? parameterTemplate : undefined };
}

function cwlInputs(text: string): Record<string, ParameterSpec> {
  const doc = parseYaml(text) as any;
  const root = Array.isArray(doc?.$graph) ? doc.$graph.find((d: any) => d.id === '#main' || d.id === 'main') ?? doc.$graph[0] : doc;
  if (!root || typeof root !== 'object') throw new Error('not a CWL document');
  const raw = root.inputs ?? {};
  const list: [string, any][] = Array.isArray(raw) ? raw.map((i: any) => [String(i.id).replace(/^#?(main\/)?/, ''), i]) : Object.entries(raw);
  const out: Record<string, ParameterSpec> = {};
  for (const [name, def] of list) {
    const spec = typeof def === 'string' ? { type: def } : def ?? {};
    const type = spec.type;
    const optional = spec.default !== undefined
      || (typeof type === 'string' && type.endsWith('?'))
      || (Array.isArray(type) && type.includes('null'));
    out[name] = { description: typeof spec.doc === 'string' ? spec.doc.slice(0, 256) : typeof spec.label === 'string' ? spec.label.slice(0, 256) : '', optional };
  }
  return out;
}

function wdlInputs(text: string): Record<string, ParameterSpec> {
  const wf = /\bworkflow\s+\w+\s*\{/.exec(text);
  if (!wf) return {};
  const start = text.indexOf('input', wf.index);
  const m = /\binput\s*\{/g;
  m.lastIndex = wf.index;
  const hit = m.exec(text);
  if (!hit || start < 0) return {};
  let depth = 1;
  let i = hit.index + hit[0].length;
  const begin = i;
  while (i < text.length && depth > 0) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
    i++;
  }
  const body = text.slice(begin, i - 1);
  const out: Record<string, ParameterSpec> = {};
  for (const line of body.split('\n')) {
    const d = /^\s*([A-Za-z][\w]*(?:\[[^\]]*\])?(?:\+)?(\?)?)\s+([A-Za-z_]\w*)\s*(=)?/.exec(line.replace(/#.*/, ''));
    if (d) out[d[3]] = { description: '', optional: Boolean(d[2] || d[4]) };
  }
  return out;
}

function nextflowParams(text: string): Record<string, ParameterSpec> {
  const out: Record<string, ParameterSpec> = {};
  for (const m of text.matchAll(/^\s*params\.([A-Za-z_]\w*)\s*=/gm)) out[m[1]] = { description: '', optional: true };
  return out;
}
