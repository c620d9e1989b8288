import type { Store, TaggableType } from '../store/store.js';
import { notFound, validationError } from './errors.js';
import { parseArn } from './ids.js';
import type { Tags } from './model.js';

const TAGGABLE = new Set<string>(['workflow', 'run', 'runGroup', 'runBatch', 'runCache', 'configuration']);
/** Tags a resource may carry, after TagResource merges new ones in (docs/quotas.md). */
const MAX_TAGS = 50;

/** Tags of workflows, runs, run groups and batches, addressed by ARN. */
export class TagService {
  constructor(private store: Store, private region: string) {}

  /**
   * The resource an ARN names and its tags, when it belongs to `account`; ResourceNotFoundException
   * for anything else (another account's resource included).
   */
  private async resolve(account: string, resourceArn: string): Promise<{ type: TaggableType; id: string; tags: Tags }> {
    const parsed = parseArn({ region: this.region, accountId: account }, resourceArn);
    let type = parsed && TAGGABLE.has(parsed.type) ? (parsed.type as TaggableType) : undefined;
    let id = parsed?.id;
    // Versions and configurations are named in their ARNs; their tags are kept under their row id.
    if (parsed?.version !== undefined) {
      type = 'workflowVersion';
      id = (await this.store.versions.get(parsed.id, parsed.version, account))?.id;
    } else if (type === 'configuration') {
      id = (await this.store.configurations.get(parsed!.id, account))?.id;
    }
    const tags = type && id && (await this.store.tags.get(type, id, account));
    if (!type || !id || !tags) throw notFound(`Resource ${resourceArn} not found`);
    return { type, id, tags };
  }

  async list(account: string, resourceArn: string) {
    return (await this.resolve(account, resourceArn)).tags;
  }

  async tag(account: string, resourceArn: string, tags: Tags) {
    const r = await this.resolve(account, resourceArn);
    const merged = { ...r.tags, ...tags };
    const n = Object.keys(merged).length;
    if (n > MAX_TAGS) throw validationError(`Resource ${resourceArn} would have ${n} tags; a resource has at most ${MAX_TAGS}`);
    await this.store.tags.set(r.type, r.id, merged);
  }

  async untag(account: string, resourceArn: string, keys: string[]) {
    const r = await this.resolve(account, resourceArn);
    const next = { ...r.tags };
    for (const k of keys) delete next[k];
    await this.store.tags.set(r.type, r.id, next);
  }
}
