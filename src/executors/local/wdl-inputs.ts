import fs from 'node:fs';
import type { RunContext } from './engine.js';

/** Replaces every `s3://` string inside `value` by the path of its staged copy (a folder for `…/`). */
export async function stageStrings(value: unknown, ctx: RunContext): Promise<unknown> {
  if (typeof value === 'string') {
    if (!value.startsWith('s3://')) return value;
    return value.endsWith('/') ? ctx.stageDirectory(value) : ctx.stageFile(value);
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => stageStrings(v, ctx)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await stageStrings(v, ctx);
    return out;
  }
  return value;
}

/** The name of the WDL document's workflow, or undefined. */
export function wdlWorkflowName(mainPath: string): string | undefined {
  try {
    return /^\s*workflow\s+([A-Za-z_]\w*)\s*\{/m.exec(fs.readFileSync(mainPath, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The WDL inputs object. HealthOmics takes WDL parameters without the workflow's name
 * (`{"input_file": …}`); WDL engines want `{"count_lines.input_file": …}`: names without a dot are
 * prefixed. s3:// values are staged and passed as local paths.
 */
export async function wdlInputs(ctx: RunContext, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const wf = wdlWorkflowName(ctx.mainPath);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    out[wf && !name.includes('.') ? `${wf}.${name}` : name] = await stageStrings(value, ctx);
  }
  return out;
}
