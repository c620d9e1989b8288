import type { ReferenceStore } from '../../store/store.js';
import type { WorkflowRecord } from '../model.js';

/**
 * The workflow `account` may read and run (docs/shares.md): its own, or, with `ownerId` naming
 * another account, that account's workflow shared with `account` by an ACTIVE share. Anything
 * else is undefined, which callers answer as not found.
 */
export async function visibleWorkflow(
  store: Pick<ReferenceStore, 'workflows' | 'shares'>, account: string, id: string, ownerId?: string,
): Promise<WorkflowRecord | undefined> {
  if (!ownerId || ownerId === account) return store.workflows.get(id, account);
  const wf = await store.workflows.get(id, ownerId);
  return wf && (await store.shares.activeFor(id, account)) ? wf : undefined;
}
