import type { PageRequest, RunGroupLimits, Store } from '../../store/store.js';
import { conflict, notFound } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord } from '../idempotency.js';
import type { RunGroupRecord, Tags } from '../model.js';

/** Run groups: the limits the scheduler applies to the runs started in them (docs/runs.md). */
export class RunGroupService {
  constructor(private store: Store) {}

  async create(account: string, input: RunGroupLimits & { name?: string; tags?: Tags; requestId: string }, raw: Record<string, unknown>): Promise<RunGroupRecord> {
    const res = await this.store.runGroups.create({
      accountId: account, name: input.name, maxCpus: input.maxCpus, maxRuns: input.maxRuns, maxDuration: input.maxDuration, maxGpus: input.maxGpus,
      creationTime: Date.now(), requestId: input.requestId, requestHash: requestHash(raw), tags: input.tags ?? {},
    });
    return createdRecord(res, input.requestId);
  }

  async get(account: string, id: string) {
    const g = await this.store.runGroups.get(id, account);
    if (!g) throw notFound(`Run group ${id} not found`);
    return g;
  }

  list(account: string, filter: { name?: string }, page: PageRequest) {
    return this.store.runGroups.list({ account, ...filter }, page);
  }

  async update(account: string, id: string, patch: RunGroupLimits & { name?: string }) {
    await this.get(account, id);
    if (!(await this.store.runGroups.update(id, patch))) throw notFound(`Run group ${id} not found`);
  }

  async delete(account: string, id: string) {
    await this.get(account, id);
    const res = await this.store.runGroups.delete(id);
    if (res === 'missing') throw notFound(`Run group ${id} not found`);
    if (res === 'active') throw conflict(`Run group ${id} has runs that are not finished`);
  }
}
