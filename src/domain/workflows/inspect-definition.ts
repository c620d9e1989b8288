import type { ParameterSpec, WorkflowEngine } from '../model.js';
import { DefinitionError, findMainFile, readDefinitionZip, type DefinitionFiles } from './definition-zip.js';
import { languageOf, languageOfFile } from './languages.js';
import { declaredInputs, type DeclaredInputs } from './parameter-templates.js';

export interface InspectedDefinition {
  engine: WorkflowEngine;
  main: string;
  files: DefinitionFiles;
  parameterTemplate?: Record<string, ParameterSpec>;
  /** Inputs declared as files or folders; undefined where the language declares no types (Nextflow). */
  pathInputs?: string[];
}

/**
 * What CreateWorkflow learns from a definition zip: its main file, its engine (given, or from the
 * main file's extension, and the two must agree) and the parameter template its main file declares.
 * Throws DefinitionError, whose message becomes the workflow's statusMessage.
 */
export async function inspectDefinition(zip: Uint8Array, wanted: { main?: string; engine?: WorkflowEngine }): Promise<InspectedDefinition> {
  const files = await readDefinitionZip(zip);
  const main = findMainFile(Object.keys(files), wanted.main);
  const detected = languageOfFile(main);
  const engine = wanted.engine ?? detected;
  if (!engine) throw new DefinitionError(`Cannot tell the engine of ${main}; set 'engine' to CWL, WDL or NEXTFLOW`);
  const language = languageOf(engine, main)!;
  if (detected && detected !== language) throw new DefinitionError(`engine ${engine} does not match the main file ${main}`);
  let inputs: DeclaredInputs;
  try {
    inputs = declaredInputs(language, Buffer.from(files[main]).toString('utf8'));
  } catch (err) {
    throw new DefinitionError(`Could not read the inputs of ${main}: ${(err as Error).message}`);
  }
  return { engine, main, files, parameterTemplate: Object.keys(inputs.template).length ? inputs.template : undefined, pathInputs: inputs.pathInputs };
}
