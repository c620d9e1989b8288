import type { Store } from '../store/store.js';
import type { RunGroupRecord, WorkflowRecord } from './model.js';

/** Memoised reads of the resources a run refers to, for the length of one request or one submission chunk. */
export class Lookups {
  private workflows = new Map<string, Promise<WorkflowRecord | undefined>>();
  private groups = new Map<string, Promise<RunGroupRecord | undefined>>();

  constructor(private store: Store) {}

  workflow(id: string) {
    let p = this.workflows.get(id);
    if (!p) this.workflows.set(id, (p = this.store.getWorkflow(id)));
    return p;
  }

  runGroup(id: string) {
    let p = this.groups.get(id);
    if (!p) this.groups.set(id, (p = this.store.getRunGroup(id)));
    return p;
  }
}
