// Workflow definitions (CWL documents, definition zips) and creating a workflow through the API.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CreateWorkflowCommand, waitUntilWorkflowActive, type CreateWorkflowCommandInput, type OmicsClient } from '@aws-sdk/client-omics';
import { strToU8, zipSync } from 'fflate';
import { stringify } from 'yaml';

/** A CWL CommandLineTool document; `inputs` and `outputs` are CWL's maps (none by default), `extra` more top-level fields. */
export function cwlTool(baseCommand: string | string[], o: { inputs?: object; outputs?: object; extra?: object } = {}): string {
  const doc = { cwlVersion: 'v1.2', class: 'CommandLineTool', baseCommand, ...o.extra, inputs: o.inputs ?? [], outputs: o.outputs ?? [] };
  return stringify(doc, { lineWidth: 0 });
}

/** A definition zip of the given files (name → text or bytes). */
export function definitionZip(files: Record<string, string | Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, body]) => [name, typeof body === 'string' ? strToU8(body) : body])));
}

/** A definition zip of the workflow files (.cwl, .wdl, .nf) in a folder, e.g. one under examples/. */
export function folderZip(dir: string): Uint8Array {
  const names = fs.readdirSync(dir).filter((f) => /\.(cwl|wdl|nf)$/.test(f));
  return definitionZip(Object.fromEntries(names.map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])));
}

/** The tests' one-file CWL workflow: `echo`, with a required string `msg` and an optional int `n` (its parameter template). */
export function cwlZip(): Uint8Array {
  const inputs = { msg: { type: 'string', inputBinding: { position: 1 } }, n: { type: 'int?' } };
  return definitionZip({ 'main.cwl': cwlTool('echo', { inputs }) });
}

/** Options of the SDK's waitUntilWorkflowActive (seconds). */
export interface ActiveWait {
  maxWaitTime?: number;
  minDelay?: number;
  maxDelay?: number;
}

/**
 * CreateWorkflow with `input` (the cwlZip() definition unless it names one), then waits with the
 * SDK waiter until the workflow is ACTIVE (by default up to 20 s, polling every 1 s or more).
 * Returns the workflow id.
 */
export async function createWorkflow(client: OmicsClient, input: CreateWorkflowCommandInput = {}, wait: ActiveWait = {}): Promise<string> {
  const definition = input.definitionZip || input.definitionUri ? {} : { definitionZip: cwlZip() };
  const created = await client.send(new CreateWorkflowCommand({ ...definition, ...input }));
  const waited = await waitUntilWorkflowActive({ client, maxWaitTime: 20, minDelay: 1, ...wait }, { id: created.id });
  assert.equal(waited.state, 'SUCCESS');
  return created.id!;
}
