import type { AccountScope, ReferenceStore } from '../../store/store.js';
import { notFound, validationError } from '../errors.js';
import type { ConfigurationRecord, RunCacheRecord, RunGroupRecord, WorkflowRecord, WorkflowVersionRecord } from '../model.js';

/** What a run names besides its parameters: StartRun's members, or a batch's defaultRunSetting. */
export interface RunRefInput {
  workflowId: string;
  workflowType?: string;
  workflowOwnerId?: string;
  workflowVersionName?: string;
  runGroupId?: string;
  cacheId?: string;
  cacheBehavior?: string;
  networkingMode?: string;
  configurationName?: string;
}

/** The records a run's references resolved to. */
export interface ResolvedRefs {
  workflow: WorkflowRecord;
  version?: WorkflowVersionRecord;
  cache?: RunCacheRecord;
  configuration?: ConfigurationRecord;
}

/**
 * The records a run refers to, each read once for the length of one request or one submission
 * chunk (a chunk of 200 entries usually names the same ones), as the given account sees them:
 * another account's workflow, run group, cache or configuration is not found, unless a workflow
 * was shared with the account (docs/shares.md).
 */
export class RunReferences {
  private reads = new Map<string, Promise<unknown>>();

  constructor(private store: ReferenceStore, private account: AccountScope) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.reads.get(key) as Promise<T> | undefined;
    if (!p) this.reads.set(key, (p = read()));
    return p;
  }

  workflow(id: string, ownerId?: string) {
    const account = this.account;
    return this.once(`w:${id}:${ownerId ?? ''}`, async () => {
      if (!ownerId || account === null || ownerId === account) return this.store.workflows.get(id, account);
      const wf = await this.store.workflows.get(id, ownerId);
      return wf && (await this.store.shares.activeFor(id, account)) ? wf : undefined;
    });
  }

  runGroup(id: string) {
    return this.once(`g:${id}`, () => this.store.runGroups.get(id, this.account)) as Promise<RunGroupRecord | undefined>;
  }

  /** The workflow a run may start from: it exists, the account may use it, and it is ACTIVE (ResourceNotFoundException otherwise, as StartRun answers). */
  async activeWorkflow(id: string, ownerId?: string): Promise<WorkflowRecord> {
    const workflow = await this.workflow(id, ownerId);
    if (!workflow) throw notFound(ownerId ? `Workflow ${id} shared by account ${ownerId} not found` : `Workflow ${id} not found`);
    if (workflow.status !== 'ACTIVE') throw notFound(`Workflow ${id} is not active (status ${workflow.status})`);
    return workflow;
  }

  /** Checks that a run group given by id exists (ResourceNotFoundException otherwise). */
  async requireRunGroup(id: string | undefined): Promise<void> {
    if (id && !(await this.runGroup(id))) throw notFound(`Run group ${id} not found`);
  }

  /**
   * Checks everything a run refers to, in the order StartRun does (docs/runs.md, "References"):
   * refusals of what omicsd does not run, then each named record. Throws the error StartRun and
   * StartRunBatch answer.
   */
  async resolve(input: RunRefInput): Promise<ResolvedRefs> {
    if (input.workflowType === 'READY2RUN') throw validationError('Ready2Run workflows are not supported by omicsd: use a PRIVATE workflow');
    if (input.cacheBehavior && !input.cacheId) throw validationError('cacheBehavior requires cacheId');
    if (input.networkingMode === 'VPC' && !input.configurationName) throw validationError('networkingMode VPC requires configurationName');
    const workflow = await this.activeWorkflow(input.workflowId, input.workflowOwnerId);
    let version: WorkflowVersionRecord | undefined;
    if (input.workflowVersionName !== undefined) {
      const name = input.workflowVersionName;
      version = await this.once(`v:${workflow.id}:${name}`, () => this.store.versions.get(workflow.id, name, null));
      if (!version) throw notFound(`Workflow version ${name} of workflow ${workflow.id} not found`);
      if (version.status !== 'ACTIVE') throw notFound(`Workflow version ${name} of workflow ${workflow.id} is not active (status ${version.status})`);
    }
    await this.requireRunGroup(input.runGroupId);
    let cache: RunCacheRecord | undefined;
    if (input.cacheId !== undefined) {
      const id = input.cacheId;
      cache = await this.once(`c:${id}`, () => this.store.runCaches.get(id, this.account));
      if (!cache || cache.status !== 'ACTIVE') throw notFound(`Run cache ${id} not found`);
    }
    let configuration: ConfigurationRecord | undefined;
    if (input.configurationName !== undefined) {
      const name = input.configurationName;
      configuration = await this.once(`n:${name}`, () => this.store.configurations.get(name, this.account));
      if (!configuration || configuration.status !== 'ACTIVE') throw notFound(`Configuration ${name} not found`);
    }
    return { workflow, version, cache, configuration };
  }
}
