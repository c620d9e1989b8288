import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { parseS3Uri } from '../../objectstore/object-store.js';
import type { PageRequest, Store } from '../../store/store.js';
import { conflict, notFound, validationError } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import type { Json, ParameterSpec, Tags, WorkflowEngine, WorkflowRecord } from '../model.js';
import { inspectDefinition } from './inspect-definition.js';
import { requireBucket, type BucketScope } from '../bucket-access.js';

const MAX_ZIP_BYTES = 4.4 * 1024 * 1024;
const MAX_URI_BYTES = 100 * 1024 * 1024;

/** CreateWorkflow's request, after the API checked its shape. */
export interface CreateWorkflowRequest {
  requestId: string;
  name?: string;
  description?: string;
  engine?: WorkflowEngine;
  definitionZip?: string;
  definitionUri?: string;
  definitionRepository?: object;
  main?: string;
  parameterTemplate?: Record<string, ParameterSpec>;
  storageCapacity?: number;
  storageType?: string;
  accelerators?: string;
  containerRegistryMap?: Json;
  readmeMarkdown?: string;
  readmePath?: string;
  tags?: Tags;
}

/** CreateWorkflow and friends. A workflow is CREATING until its definition is inspected, then ACTIVE or FAILED. */
export class WorkflowService {
  constructor(private store: Store, private objects: ObjectStore, private log: Logger, private buckets: BucketScope = () => undefined) {}

  async create(account: string, input: CreateWorkflowRequest, raw: Record<string, unknown>): Promise<WorkflowRecord> {
    const hash = requestHash(raw);
    const prior = await replayed(this.store, account, 'workflow', input.requestId, hash, (id) => this.store.workflows.get(id, account));
    if (prior) return prior;
    const sources = [input.definitionZip, input.definitionUri, input.definitionRepository].filter((v) => v !== undefined).length;
    if (sources !== 1) throw validationError('Exactly one of definitionZip, definitionUri or definitionRepository is required');
    if (input.definitionRepository) throw validationError('definitionRepository is not supported by omicsd: use definitionZip or definitionUri');
    let definition: Buffer | null = null;
    if (input.definitionZip !== undefined) {
      definition = Buffer.from(input.definitionZip, 'base64');
      if (definition.length === 0) throw validationError('definitionZip is empty');
      if (definition.length > MAX_ZIP_BYTES) throw validationError(`definitionZip is ${definition.length} bytes; the maximum is 4.4 MB (use definitionUri for larger definitions)`);
    } else {
      requireBucket(this.buckets, account, input.definitionUri);
      const loc = parseS3Uri(input.definitionUri!, 'definitionUri');
      const head = await this.objects.head(loc);
      if (head.size > MAX_URI_BYTES) throw validationError(`The object at definitionUri is ${head.size} bytes; the maximum is 100 MB`);
    }
    const res = await this.store.workflows.create({
      accountId: account, uuid: newUuid(), status: 'CREATING', type: 'PRIVATE', name: input.name, creationTime: Date.now(),
      requestId: input.requestId, requestHash: hash, tags: input.tags ?? {},
      doc: {
        description: input.description, engine: input.engine, main: input.main, parameterTemplate: input.parameterTemplate,
        storageCapacity: input.storageCapacity, storageType: input.storageType, accelerators: input.accelerators,
        containerRegistryMap: input.containerRegistryMap, readme: input.readmeMarkdown, readmePath: input.readmePath,
        definitionUri: input.definitionUri,
      },
    }, definition);
    const record = createdRecord(res, input.requestId);
    if (res.kind === 'created') setImmediate(() => void this.activate(record.id));
    return record;
  }

  /** Reads and inspects the definition of a CREATING workflow, then makes it ACTIVE or FAILED. */
  async activate(id: string) {
    const wf = await this.store.workflows.get(id, null);
    if (!wf || wf.status !== 'CREATING') return;
    try {
      let zip = await this.store.workflows.getDefinition(id);
      if (!zip) {
        const { body } = await this.objects.read(parseS3Uri(wf.doc.definitionUri!, 'definitionUri'));
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of body) {
          size += c.length;
          if (size > MAX_URI_BYTES) throw new Error('The definition object is larger than 100 MB');
          chunks.push(Buffer.from(c));
        }
        zip = Buffer.concat(chunks);
      }
      const found = await inspectDefinition(zip, { main: wf.doc.main, engine: wf.doc.engine });
      const digest = createHash('sha256').update(zip).digest('hex');
      await this.store.workflows.update(id, {
        status: 'ACTIVE',
        doc: { engine: found.engine, main: found.main, digest, parameterTemplate: wf.doc.parameterTemplate ?? found.parameterTemplate, pathInputs: found.pathInputs },
      });
      if (!(await this.store.workflows.getDefinition(id))) await this.store.workflows.setDefinition(id, zip);
    } catch (err) {
      this.log.info({ workflowId: id, err: (err as Error).message }, 'workflow definition rejected');
      await this.store.workflows.update(id, { status: 'FAILED', doc: { statusMessage: (err as Error).message.slice(0, 1000) } });
    }
  }

  /** Workflows left CREATING by a stop are inspected again. */
  async recover() {
    for (const wf of await this.store.workflows.listInStatus('CREATING')) await this.activate(wf.id);
  }

  async get(account: string, id: string) {
    const wf = await this.store.workflows.get(id, account);
    if (!wf) throw notFound(`Workflow ${id} not found`);
    return wf;
  }

  list(account: string, filter: { name?: string; type?: string }, page: PageRequest) {
    // omicsd has no Ready2Run workflows.
    return filter.type === 'READY2RUN' ? Promise.resolve([]) : this.store.workflows.list({ account, name: filter.name }, page);
  }

  /** The stored definition zip (what the `definition` link of GetWorkflow downloads). */
  async definition(account: string, id: string) {
    await this.get(account, id);
    const zip = await this.store.workflows.getDefinition(id);
    if (!zip) throw notFound(`Workflow ${id} has no stored definition`);
    return zip;
  }

  async update(account: string, id: string, patch: { name?: string; description?: string; storageType?: string; storageCapacity?: number; readmeMarkdown?: string }) {
    const wf = await this.get(account, id);
    await this.store.workflows.update(id, {
      name: patch.name,
      doc: {
        description: patch.description ?? wf.doc.description, storageType: patch.storageType ?? wf.doc.storageType,
        storageCapacity: patch.storageCapacity ?? wf.doc.storageCapacity, readme: patch.readmeMarkdown ?? wf.doc.readme,
      },
    });
  }

  async delete(account: string, id: string) {
    const wf = await this.get(account, id);
    if (wf.status !== 'ACTIVE' && wf.status !== 'FAILED') throw conflict(`Workflow ${id} is in status ${wf.status} and cannot be deleted`);
    await this.store.workflows.update(id, { status: 'DELETED' });
  }
}
