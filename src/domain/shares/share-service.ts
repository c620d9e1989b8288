import type { PageRequest, Store } from '../../store/store.js';
import { conflict, notFound, validationError } from '../errors.js';
import { arnOf, newUuid, parseArn } from '../ids.js';
import type { ShareRecord, ShareStatus } from '../model.js';

export interface ListSharesRequest {
  resourceOwner: 'SELF' | 'OTHER';
  filter?: { resourceArns?: string[]; status?: ShareStatus[]; type?: string[] };
}

/**
 * Workflow shares between accounts (docs/shares.md). The owner offers one workflow to one
 * subscriber account (PENDING); the subscriber accepts it (ACTIVE) and may then read and run the
 * workflow by naming the owner (`workflowOwnerId`); either side deletes it (DELETED).
 */
export class ShareService {
  constructor(private store: Store, private region: string) {}

  async create(account: string, input: { resourceArn: string; principalSubscriber: string; shareName?: string }) {
    const parsed = parseArn({ region: this.region, accountId: account }, input.resourceArn);
    if (!parsed || parsed.type !== 'workflow' || parsed.version) {
      throw validationError(`resourceArn ${input.resourceArn} is not a workflow of this account: omicsd shares private workflows`);
    }
    if (!/^[0-9]{12}$/.test(input.principalSubscriber)) throw validationError('principalSubscriber must be a 12-digit account id');
    if (input.principalSubscriber === account) throw validationError('A workflow cannot be shared with the account that owns it');
    const wf = await this.store.workflows.get(parsed.id, account);
    if (!wf) throw notFound(`Workflow ${parsed.id} not found`);
    const now = Date.now();
    const res = await this.store.shares.create({
      id: newUuid(), ownerAccount: account, subscriber: input.principalSubscriber, resourceArn: arnOf({ region: this.region, accountId: account }, 'workflow', wf.id),
      workflowId: wf.id, name: input.shareName, status: 'PENDING', creationTime: now, updateTime: now,
    });
    if (res === 'exists') throw conflict(`Workflow ${wf.id} is already shared with account ${input.principalSubscriber}`);
    return res;
  }

  /** A share as its owner or its subscriber sees it; anyone else finds none. */
  async get(account: string, id: string): Promise<ShareRecord> {
    const s = await this.store.shares.get(id);
    if (!s || s.status === 'DELETED' || (s.ownerAccount !== account && s.subscriber !== account)) throw notFound(`Share ${id} not found`);
    return s;
  }

  list(account: string, input: ListSharesRequest, page: PageRequest) {
    const types = input.filter?.type;
    // omicsd shares workflows only: a filter on other resource types matches nothing.
    if (types?.length && !types.includes('WORKFLOW')) return Promise.resolve([]);
    return this.store.shares.list({
      ...(input.resourceOwner === 'SELF' ? { owner: account } : { subscriber: account }),
      resourceArns: input.filter?.resourceArns, statuses: input.filter?.status,
    }, page);
  }

  async accept(account: string, id: string): Promise<ShareStatus> {
    const s = await this.get(account, id);
    if (s.subscriber !== account) throw notFound(`Share ${id} not found`);
    if (s.status === 'ACTIVE') return 'ACTIVE';
    if (!(await this.store.shares.setStatus(id, ['PENDING'], 'ACTIVE', Date.now()))) throw conflict(`Share ${id} is in status ${s.status} and cannot be accepted`);
    return 'ACTIVE';
  }

  async delete(account: string, id: string): Promise<ShareStatus> {
    await this.get(account, id);
    await this.store.shares.setStatus(id, ['PENDING', 'ACTIVATING', 'ACTIVE', 'FAILED'], 'DELETED', Date.now());
    return 'DELETED';
  }
}
