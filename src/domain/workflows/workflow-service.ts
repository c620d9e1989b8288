import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import type { PageRequest, Store } from '../../store/store.js';
import { conflict, notFound } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import type { Json, ParameterSpec, Tags, WorkflowEngine, WorkflowRecord } from '../model.js';
import type { BucketScope } from '../bucket-access.js';
import { acceptDefinition, activateDefinition } from './definition-source.js';
import { visibleWorkflow } from './shared-workflows.js';

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
    const definition = await acceptDefinition(this.objects, this.buckets, account, input);
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
      const stored = await this.store.workflows.getDefinition(id);
      const { zip, doc } = await activateDefinition(this.objects, stored, wf.doc);
      await this.store.workflows.update(id, { status: 'ACTIVE', doc });
      if (!stored) await this.store.workflows.setDefinition(id, zip);
    } catch (err) {
      this.log.info({ workflowId: id, err: (err as Error).message }, 'workflow definition rejected');
      await this.store.workflows.update(id, { status: 'FAILED', doc: { statusMessage: (err as Error).message.slice(0, 1000) } });
    }
  }

  /** Workflows left CREATING by a stop are inspected again. */
  async recover() {
    for (const wf of await this.store.workflows.listInStatus('CREATING')) await this.activate(wf.id);
  }

  /** A workflow of `account`, or with `ownerId`, one that account shared with it (docs/shares.md). */
  async get(account: string, id: string, ownerId?: string) {
    const wf = await visibleWorkflow(this.store, account, id, ownerId);
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

  /**
   * What a verified presigned link serves (docs/workflows.md): the definition zip or the readme of a
   * workflow or one of its versions. The link's signature is the authorization, so no account is asked.
   */
  async linked(workflowId: string, versionName: string | undefined, what: 'definition' | 'readme'): Promise<Buffer | string | undefined> {
    if (versionName !== undefined) {
      const v = await this.store.versions.get(workflowId, versionName, null);
      if (!v) return undefined;
      return what === 'readme' ? v.doc.readme : this.store.versions.getDefinition(v.id);
    }
    const wf = await this.store.workflows.get(workflowId, null);
    if (!wf) return undefined;
    return what === 'readme' ? wf.doc.readme : this.store.workflows.getDefinition(workflowId);
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

  /** DeleteWorkflow: only an ACTIVE or FAILED workflow without live versions or shares (docs/workflows.md). */
  async delete(account: string, id: string) {
    const wf = await this.get(account, id);
    if (wf.status !== 'ACTIVE' && wf.status !== 'FAILED') throw conflict(`Workflow ${id} is in status ${wf.status} and cannot be deleted`);
    if ((await this.store.versions.list(id, { limit: 1 })).length) throw conflict(`Workflow ${id} has workflow versions: delete them first`);
    const shares = await this.store.shares.list({ owner: account, statuses: ['PENDING', 'ACTIVE'] }, { limit: 1000 });
    if (shares.some((sh) => sh.workflowId === id)) throw conflict(`Workflow ${id} is shared: delete its shares first`);
    await this.store.workflows.update(id, { status: 'DELETED' });
  }
}
