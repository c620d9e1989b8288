import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import type { PageRequest, Store } from '../../store/store.js';
import type { BucketScope } from '../bucket-access.js';
import { conflict, notFound } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import type { Json, ParameterSpec, Tags, WorkflowEngine, WorkflowVersionRecord } from '../model.js';
import { acceptDefinition, activateDefinition } from './definition-source.js';
import { visibleWorkflow } from './shared-workflows.js';

/** CreateWorkflowVersion's request, after the API checked its shape. */
export interface CreateVersionRequest {
  versionName: string;
  requestId: string;
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
  workflowBucketOwnerId?: string;
  tags?: Tags;
}

/**
 * Workflow versions (docs/workflow-versions.md): each has its own definition, handled as a
 * workflow's (CREATING until inspected, then ACTIVE or FAILED), and a run that names it runs it.
 */
export class WorkflowVersionService {
  constructor(private store: Store, private objects: ObjectStore, private log: Logger, private buckets: BucketScope = () => undefined) {}

  /** The owner's workflow a version is created under, updated or deleted from. */
  private async ownWorkflow(account: string, workflowId: string) {
    const wf = await this.store.workflows.get(workflowId, account);
    if (!wf) throw notFound(`Workflow ${workflowId} not found`);
    return wf;
  }

  async create(account: string, workflowId: string, input: CreateVersionRequest, raw: Record<string, unknown>): Promise<WorkflowVersionRecord> {
    const hash = requestHash({ ...raw, workflowId });
    const prior = await replayed(this.store, account, 'workflowVersion', input.requestId, hash, async (id) => this.store.versions.byId(id));
    if (prior) return prior;
    const wf = await this.ownWorkflow(account, workflowId);
    if (wf.status !== 'ACTIVE') throw conflict(`Workflow ${workflowId} is in status ${wf.status}; versions can be added to ACTIVE workflows`);
    const definition = await acceptDefinition(this.objects, this.buckets, account, input);
    const res = await this.store.versions.create({
      workflowId, versionName: input.versionName, accountId: account, uuid: newUuid(), status: 'CREATING', creationTime: Date.now(),
      requestId: input.requestId, requestHash: hash, tags: input.tags ?? {},
      doc: {
        description: input.description, engine: input.engine, main: input.main, parameterTemplate: input.parameterTemplate,
        storageCapacity: input.storageCapacity, storageType: input.storageType, accelerators: input.accelerators,
        containerRegistryMap: input.containerRegistryMap, readme: input.readmeMarkdown, readmePath: input.readmePath,
        definitionUri: input.definitionUri, workflowBucketOwnerId: input.workflowBucketOwnerId,
      },
    }, definition);
    if (res === 'exists') throw conflict(`Workflow ${workflowId} already has a version named ${input.versionName}`);
    const record = createdRecord(res, input.requestId);
    if (res.kind === 'created') setImmediate(() => void this.activate(record.id));
    return record;
  }

  /** Reads and inspects the definition of a CREATING version, then makes it ACTIVE or FAILED. */
  async activate(id: string) {
    const v = await this.store.versions.byId(id);
    if (!v || v.status !== 'CREATING') return;
    try {
      const stored = await this.store.versions.getDefinition(id);
      const { zip, doc } = await activateDefinition(this.objects, stored, v.doc);
      await this.store.versions.update(id, { status: 'ACTIVE', doc });
      if (!stored) await this.store.versions.setDefinition(id, zip);
    } catch (err) {
      this.log.info({ workflowId: v.workflowId, versionName: v.versionName, err: (err as Error).message }, 'workflow version definition rejected');
      await this.store.versions.update(id, { status: 'FAILED', doc: { statusMessage: (err as Error).message.slice(0, 1000) } });
    }
  }

  /** Versions left CREATING by a stop are inspected again. */
  async recover() {
    for (const v of await this.store.versions.listInStatus('CREATING')) await this.activate(v.id);
  }

  /** A version of a workflow `account` may see: its own, or one shared with it by `ownerId`. */
  async get(account: string, workflowId: string, versionName: string, ownerId?: string) {
    const wf = await visibleWorkflow(this.store, account, workflowId, ownerId);
    const v = wf && (await this.store.versions.get(workflowId, versionName, null));
    if (!v) throw notFound(`Workflow version ${versionName} of workflow ${workflowId} not found`);
    return v;
  }

  async list(account: string, workflowId: string, page: PageRequest, ownerId?: string) {
    const wf = await visibleWorkflow(this.store, account, workflowId, ownerId);
    if (!wf) throw notFound(`Workflow ${workflowId} not found`);
    return this.store.versions.list(workflowId, page);
  }

  /** The stored definition zip of a version (what its `definition` link downloads). */
  async definition(account: string, workflowId: string, versionName: string, ownerId?: string) {
    const v = await this.get(account, workflowId, versionName, ownerId);
    const zip = await this.store.versions.getDefinition(v.id);
    if (!zip) throw notFound(`Workflow version ${versionName} has no stored definition`);
    return zip;
  }

  async update(account: string, workflowId: string, versionName: string, patch: { description?: string; storageType?: string; storageCapacity?: number; readmeMarkdown?: string }) {
    await this.ownWorkflow(account, workflowId);
    const v = await this.get(account, workflowId, versionName);
    await this.store.versions.update(v.id, {
      doc: {
        description: patch.description ?? v.doc.description, storageType: patch.storageType ?? v.doc.storageType,
        storageCapacity: patch.storageCapacity ?? v.doc.storageCapacity, readme: patch.readmeMarkdown ?? v.doc.readme,
      },
    });
  }

  async delete(account: string, workflowId: string, versionName: string) {
    await this.ownWorkflow(account, workflowId);
    const v = await this.get(account, workflowId, versionName);
    if (v.status !== 'ACTIVE' && v.status !== 'FAILED') throw conflict(`Workflow version ${versionName} is in status ${v.status} and cannot be deleted`);
    await this.store.versions.update(v.id, { status: 'DELETED' });
  }
}
