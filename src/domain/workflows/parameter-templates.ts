import type { ParameterSpec } from '../model.js';
import { parseCwl, pickProcess, processInputs } from './cwl-document.js';
import type { WorkflowLanguage } from './languages.js';

/** The parameter template a main file declares (docs/workflows.md): CWL inputs, the WDL input block, Nextflow params. */
export function deriveParameterTemplate(language: WorkflowLanguage, text: string): Record<string, ParameterSpec> {
  return language === 'CWL' ? cwlTemplate(text) : language === 'WDL' ? wdlTemplate(text) : nextflowTemplate(text);
}

function cwlTemplate(text: string): Record<string, ParameterSpec> {
  const out: Record<string, ParameterSpec> = {};
  for (const input of processInputs(pickProcess(parseCwl(text)))) {
    out[input.name] = { description: input.doc?.slice(0, 256) ?? '', optional: input.optional };
  }
  return out;
}

function wdlTemplate(text: string): Record<string, ParameterSpec> {
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
    if (d) out[d[3]] = { description: '', optional: Boolean(d[2] || d[4]) };
  }
  return out;
}

function nextflowTemplate(text: string): Record<string, ParameterSpec> {
  const out: Record<string, ParameterSpec> = {};
  for (const m of text.matchAll(/^\s*params\.([A-Za-z_]\w*)\s*=/gm)) out[m[1]] = { description: '', optional: true };
  return out;
}
