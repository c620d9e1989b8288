import type { Store, TaggableType } from '../store/store.js';
import { notFound } from './errors.js';
import { parseArn, type ArnContext } from './ids.js';
import type { Tags } from './model.js';

const TAGGABLE = new Set<string>(['workflow', 'run', 'runGroup', 'runBatch']);

/** Tags of workflows, runs, run groups and batches, addressed by ARN. */
export class TagService {
  constructor(private store: Store, private arns: ArnContext) {}

  /** The resource an ARN names and its tags; ResourceNotFoundException for anything else. */
  private async resolve(resourceArn: string): Promise<{ type: TaggableType; id: string; tags: Tags }> {
    const parsed = parseArn(this.arns, resourceArn);
    const type = parsed && TAGGABLE.has(parsed.type) ? (parsed.type as TaggableType) : undefined;
    const tags = type && (await this.store.tags.get(type, parsed!.id));
    if (!type || !tags) throw notFound(`Resource ${resourceArn} not found`);
    return { type, id: parsed!.id, tags };
  }

  async list(resourceArn: string) {
    return (await this.resolve(resourceArn)).tags;
  }

  async tag(resourceArn: string, tags: Tags) {
    const r = await this.resolve(resourceArn);
    await this.store.tags.set(r.type, r.id, { ...r.tags, ...tags });
  }

  async untag(resourceArn: string, keys: string[]) {
    const r = await this.resolve(resourceArn);
    const next = { ...r.tags };
    for (const k of keys) delete next[k];
    await this.store.tags.set(r.type, r.id, next);
  }
}
