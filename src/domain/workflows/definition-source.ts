import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { parseS3Uri } from '../../objectstore/object-store.js';
import { requireBucket, type BucketScope } from '../bucket-access.js';
import { validationError } from '../errors.js';
import type { WorkflowDoc, WorkflowEngine } from '../model.js';
import { inspectDefinition } from './inspect-definition.js';

const MAX_ZIP_BYTES = 4.4 * 1024 * 1024;
const MAX_URI_BYTES = 100 * 1024 * 1024;

/** Where a workflow's (or a version's) definition comes from, as CreateWorkflow and CreateWorkflowVersion give it. */
export interface DefinitionSource {
  definitionZip?: string;
  definitionUri?: string;
  definitionRepository?: object;
}

/**
 * Checks a definition source at once (docs/workflows.md): exactly one source; a zip is decoded and
 * bounded; an s3:// object must exist in a bucket the account may use and be at most 100 MB.
 * Returns the zip's bytes, or null when the definition is read from the URI later.
 */
export async function acceptDefinition(objects: ObjectStore, buckets: BucketScope, account: string, input: DefinitionSource): Promise<Buffer | null> {
  const sources = [input.definitionZip, input.definitionUri, input.definitionRepository].filter((v) => v !== undefined).length;
  if (sources !== 1) throw validationError('Exactly one of definitionZip, definitionUri or definitionRepository is required');
  if (input.definitionRepository) throw validationError('definitionRepository is not supported by omicsd: use definitionZip or definitionUri');
  if (input.definitionZip !== undefined) {
    const zip = Buffer.from(input.definitionZip, 'base64');
    if (zip.length === 0) throw validationError('definitionZip is empty');
    if (zip.length > MAX_ZIP_BYTES) throw validationError(`definitionZip is ${zip.length} bytes; the maximum is 4.4 MB (use definitionUri for larger definitions)`);
    return zip;
  }
  requireBucket(buckets, account, input.definitionUri);
  const head = await objects.head(parseS3Uri(input.definitionUri!, 'definitionUri'));
  if (head.size > MAX_URI_BYTES) throw validationError(`The object at definitionUri is ${head.size} bytes; the maximum is 100 MB`);
  return null;
}

/** A definition read and inspected: what becomes of a CREATING workflow or version. */
export interface ActivatedDefinition {
  zip: Buffer;
  doc: Partial<WorkflowDoc>;
}

/**
 * Reads a definition (the stored zip, else the object at `definitionUri`) and inspects it: its
 * engine, main file, digest and declared inputs. Throws with the message that becomes statusMessage.
 */
export async function activateDefinition(
  objects: ObjectStore, stored: Buffer | undefined, doc: { definitionUri?: string; main?: string; engine?: WorkflowEngine; parameterTemplate?: WorkflowDoc['parameterTemplate'] },
): Promise<ActivatedDefinition> {
  let zip = stored;
  if (!zip) {
    const { body } = await objects.read(parseS3Uri(doc.definitionUri!, 'definitionUri'));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of body) {
      size += c.length;
      if (size > MAX_URI_BYTES) throw new Error('The definition object is larger than 100 MB');
      chunks.push(Buffer.from(c));
    }
    zip = Buffer.concat(chunks);
  }
  const found = await inspectDefinition(zip, { main: doc.main, engine: doc.engine });
  const digest = createHash('sha256').update(zip).digest('hex');
  return {
    zip,
    doc: { engine: found.engine, main: found.main, digest, parameterTemplate: doc.parameterTemplate ?? found.parameterTemplate, pathInputs: found.pathInputs },
  };
}
