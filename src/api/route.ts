import type { Config } from '../config.js';
import type { BatchService } from '../domain/batches/batch-service.js';
import type { RunGroupService } from '../domain/runs/run-group-service.js';
import type { RunService } from '../domain/runs/run-service.js';
import type { TagService } from '../domain/tag-service.js';
import type { WorkflowService } from '../domain/workflows/workflow-service.js';
import type { WorkflowVersionService } from '../domain/workflows/version-service.js';
import type { RunCacheService } from '../domain/caches/run-cache-service.js';
import type { ConfigurationService } from '../domain/configurations/configuration-service.js';
import type { ShareService } from '../domain/shares/share-service.js';
import type { LinkSigner } from './links.js';
import type { PageTokens } from './pagination.js';

/** A decoded request: path labels, query (repeated keys as arrays) and the JSON body. */
export interface ApiRequest {
  /** The Host the client called, for links back to this service. */
  host: string;
  /**
   * The caller's account id: the account of the access key that signed the request
   * (docs/security.md), or `config.accountId` when omicsd runs without `--credentials`.
   */
  account: string;
  /** The caller's principal ARN: `arn:aws:iam::<account>:user/<access key id>`, or the account's root without `--credentials`. */
  principal: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  body: Record<string, unknown>;
}

/** What handlers call: the domain services, and the page tokens of list operations. */
export interface Services {
  config: Config;
  runs: RunService;
  workflows: WorkflowService;
  versions: WorkflowVersionService;
  runCaches: RunCacheService;
  configurations: ConfigurationService;
  shares: ShareService;
  links: LinkSigner;
  /** An S3 presigned GET of an object in the configured store, when clients can reach it (`--s3-endpoint`). */
  presign?: (uri: string) => Promise<string>;
  runGroups: RunGroupService;
  batches: BatchService;
  tags: TagService;
  tokens: PageTokens;
  /** The service's own URL, from its configuration and listening address (never from a request's Host). */
  baseUrl(): string;
}

/** One operation of the routing table (docs/api.md). Handlers return the JSON output, or nothing for Unit outputs. */
export interface Route {
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  status: number;
  /** Largest request body this operation takes (bytes); DEFAULT_BODY_LIMIT when absent (docs/quotas.md). */
  bodyLimit?: number;
  handler: (req: ApiRequest, s: Services) => Promise<object | void>;
}

/** Request bodies of operations that state no limit of their own (docs/quotas.md). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** The path of a workflow's (or a version's) definition or readme behind omicsd's presigned links. */
export const linkPath = (workflowId: string, versionName: string | undefined, what: 'definition' | 'readme') =>
  `/links/workflow/${workflowId}${versionName === undefined ? '' : `/version/${encodeURIComponent(versionName)}`}/${what}`;

/**
 * Where a client downloads a definition zip (what `export=DEFINITION` returns; docs/workflows.md):
 * an S3 presigned URL of the object it was created from when that store is one clients reach, else
 * a link omicsd signs and serves itself.
 */
export function definitionLink(s: Services, workflowId: string, versionName: string | undefined, definitionUri: string | undefined) {
  if (definitionUri && s.presign) return s.presign(definitionUri);
  return s.links.sign(s.baseUrl(), linkPath(workflowId, versionName, 'definition'));
}

/** The readme link GetWorkflow and GetWorkflowVersion return, when there is a readme. */
export const readmeLink = (s: Services, workflowId: string, versionName: string | undefined, readme: string | undefined) =>
  (readme ? s.links.sign(s.baseUrl(), linkPath(workflowId, versionName, 'readme')) : Promise.resolve(undefined));

/** The single value of a query key (the last one if a client repeated it). */
export const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);
export const many = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Query object with single-valued keys flattened, for zod. */
export function singleQuery(q: ApiRequest['query'], keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, one(q[k])]));
}
