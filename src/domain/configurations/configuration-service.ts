import type { PageRequest, Store } from '../../store/store.js';
import { conflict, notFound } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import type { ConfigurationRecord, Tags, VpcConfig } from '../model.js';

export interface CreateConfigurationRequest {
  name: string;
  description?: string;
  runConfigurations: { vpcConfig?: VpcConfig };
  tags?: Tags;
  requestId: string;
}

/**
 * Run configurations (docs/configurations.md): named networking settings. omicsd records them and
 * holds runs to them (a VPC run must name one); it sets up no network of its own, so a
 * configuration is ACTIVE at once.
 */
export class ConfigurationService {
  constructor(private store: Store) {}

  async create(account: string, input: CreateConfigurationRequest, raw: Record<string, unknown>): Promise<ConfigurationRecord> {
    const hash = requestHash(raw);
    const prior = await replayed(this.store, account, 'configuration', input.requestId, hash, (id) => this.store.configurations.byId(id));
    if (prior) return prior;
    const res = await this.store.configurations.create({
      accountId: account, name: input.name, uuid: newUuid(), status: 'ACTIVE', creationTime: Date.now(), requestId: input.requestId,
      requestHash: hash, tags: input.tags ?? {}, doc: { description: input.description, runConfigurations: input.runConfigurations },
    });
    if (res === 'exists') throw conflict(`A configuration named ${input.name} already exists`);
    return createdRecord(res, input.requestId);
  }

  async get(account: string, name: string) {
    const c = await this.store.configurations.get(name, account);
    if (!c) throw notFound(`Configuration ${name} not found`);
    return c;
  }

  /** The live configuration of that name, if any (what a run's GetRun shows of it). */
  find(account: string, name: string) {
    return this.store.configurations.get(name, account);
  }

  list(account: string, page: PageRequest) {
    return this.store.configurations.list(account, page);
  }

  async delete(account: string, name: string) {
    const c = await this.get(account, name);
    await this.store.configurations.setStatus(c.id, 'DELETED');
  }
}
