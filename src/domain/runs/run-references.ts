import type { AccountScope, ReferenceStore } from '../../store/store.js';
import { notFound } from '../errors.js';
import type { RunGroupRecord, WorkflowRecord } from '../model.js';

/**
 * The workflow and run group a run refers to, each read once for the length of one request or one
 * submission chunk (a chunk of 200 entries usually names one workflow), as the given account sees
 * them: another account's workflow or run group is not found.
 */
export class RunReferences {
  private workflows = new Map<string, Promise<WorkflowRecord | undefined>>();
  private groups = new Map<string, Promise<RunGroupRecord | undefined>>();

  constructor(private store: ReferenceStore, private account: AccountScope) {}

  workflow(id: string) {
    let p = this.workflows.get(id);
    if (!p) this.workflows.set(id, (p = this.store.workflows.get(id, this.account)));
    return p;
  }

  runGroup(id: string) {
    let p = this.groups.get(id);
    if (!p) this.groups.set(id, (p = this.store.runGroups.get(id, this.account)));
    return p;
  }

  /** The workflow a run may start from: it exists and is ACTIVE (ResourceNotFoundException otherwise, as StartRun answers). */
  async activeWorkflow(id: string): Promise<WorkflowRecord> {
    const workflow = await this.workflow(id);
    if (!workflow) throw notFound(`Workflow ${id} not found`);
    if (workflow.status !== 'ACTIVE') throw notFound(`Workflow ${id} is not active (status ${workflow.status})`);
    return workflow;
  }

  /** Checks that a run group given by id exists (ResourceNotFoundException otherwise). */
  async requireRunGroup(id: string | undefined): Promise<void> {
    if (id && !(await this.runGroup(id))) throw notFound(`Run group ${id} not found`);
  }
}
