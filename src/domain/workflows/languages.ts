import type { WorkflowEngine } from '../model.js';

/** The workflow languages omicsd runs; WDL_LENIENT is WDL to an engine. */
export type WorkflowLanguage = 'CWL' | 'WDL' | 'NEXTFLOW';

export const WORKFLOW_LANGUAGES: readonly WorkflowLanguage[] = ['CWL', 'WDL', 'NEXTFLOW'];

const BY_EXTENSION: Record<string, WorkflowLanguage> = { '.cwl': 'CWL', '.wdl': 'WDL', '.nf': 'NEXTFLOW' };

/** The language a definition file is written in, by its extension (docs/workflows.md). */
export function languageOfFile(file: string): WorkflowLanguage | undefined {
  const m = /\.[A-Za-z]+$/.exec(file);
  return m ? BY_EXTENSION[m[0].toLowerCase()] : undefined;
}

/** The language of a workflow: its declared engine, else its main file's extension. */
export function languageOf(engine: WorkflowEngine | undefined, main: string | undefined): WorkflowLanguage | undefined {
  if (engine === 'WDL_LENIENT') return 'WDL';
  if (engine) return engine;
  return main ? languageOfFile(main) : undefined;
}
