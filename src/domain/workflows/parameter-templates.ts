import type { ParameterSpec } from '../model.js';
import { parseCwl, pickProcess, processInputs } from './cwl-document.js';
import type { WorkflowLanguage } from './languages.js';

/** What a main file declares: its parameter template, and which inputs are files or folders (undefined: not typed). */
export interface DeclaredInputs {
  template: Record<string, ParameterSpec>;
  pathInputs?: string[];
}

/** The inputs a main file declares (docs/workflows.md): CWL inputs, the WDL input block, Nextflow params. */
export function declaredInputs(language: WorkflowLanguage, text: string): DeclaredInputs {
  if (language === 'CWL') return cwlInputs(text);
  if (language === 'WDL') return wdlInputs(text);
  return { template: nextflowTemplate(text) };
}

/** Whether a CWL type names File or Directory values (alone, optional, in an array or a union). */
function cwlPathType(type: unknown): boolean {
  if (typeof type === 'string') return /^(File|Directory)(\[\])*\??$/.test(type.replace(/^.*#/, ''));
  if (Array.isArray(type)) return type.some(cwlPathType);
  if (type && typeof type === 'object') return cwlPathType((type as { items?: unknown }).items);
  return false;
}

function cwlInputs(text: string): DeclaredInputs {
  const template: Record<string, ParameterSpec> = {};
  const pathInputs: string[] = [];
  for (const input of processInputs(pickProcess(parseCwl(text)))) {
    template[input.name] = { description: input.doc?.slice(0, 256) ?? '', optional: input.optional };
    if (cwlPathType(input.type)) pathInputs.push(input.name);
  }
  return { template, pathInputs };
}

function wdlInputs(text: string): DeclaredInputs {
  const pathInputs: string[] = [];
  const template = wdlTemplate(text, (name, type) => {
    if (/\b(File|Directory)\b/.test(type)) pathInputs.push(name);
  });
  return { template, pathInputs };
}

function wdlTemplate(text: string, onType: (name: string, type: string) => void): Record<string, ParameterSpec> {
  const wf = /\bworkflow\s+\w+\s*\{/.exec(text);
  if (!wf) return {};
  const m = /\binput\s*\{/g;
  m.lastIndex = wf.index;
  const hit = m.exec(text);
  if (!hit) return {};
  let depth = 1;
  let i = hit.index + hit[0].length;
  const begin = i;
  while (i < text.length && depth > 0) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
    i++;
  }
  const out: Record<string, ParameterSpec> = {};
  for (const line of text.slice(begin, i - 1).split('\n')) {
    const d = /^\s*([A-Za-z][\w]*(?:\[[^\]]*\])?(?:\+)?(\?)?)\s+([A-Za-z_]\w*)\s*(=)?/.exec(line.replace(/#.*/, ''));
    if (!d) continue;
    out[d[3]] = { description: '', optional: Boolean(d[2] || d[4]) };
    onType(d[3], d[1]);
  }
  return out;
}

function nextflowTemplate(text: string): Record<string, ParameterSpec> {
  const out: Record<string, ParameterSpec> = {};
  for (const m of text.matchAll(/^\s*params\.([A-Za-z_]\w*)\s*=/gm)) out[m[1]] = { description: '', optional: true };
  return out;
}
