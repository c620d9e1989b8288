import { randomUUID } from 'node:crypto';

/** The account of a deployment without credentials, and of data written before accounts existed (`--account-id`). */
export const DEFAULT_ACCOUNT_ID = '123456789012';

export type ResourceType = 'workflow' | 'run' | 'runGroup' | 'runBatch' | 'task' | 'runCache' | 'configuration';

export interface ArnContext {
  region: string;
  accountId: string;
}

export const arnOf = (ctx: ArnContext, type: ResourceType, id: string | number) =>
  `arn:aws:omics:${ctx.region}:${ctx.accountId}:${type}/${id}`;

/** A workflow version's ARN: under its workflow's. */
export const versionArnOf = (ctx: ArnContext, workflowId: string, versionName: string) => `${arnOf(ctx, 'workflow', workflowId)}/version/${versionName}`;

/**
 * Splits an omics ARN of this deployment into its resource type and id (a configuration's id is its
 * name; a workflow version's ARN also gives `version`), or returns undefined.
 */
export function parseArn(ctx: ArnContext, arn: string): { type: string; id: string; version?: string } | undefined {
  const prefix = `arn:aws:omics:${ctx.region}:${ctx.accountId}:`;
  if (!arn.startsWith(prefix)) return undefined;
  const rest = arn.slice(prefix.length);
  const config = /^configuration\/([A-Za-z0-9][A-Za-z0-9\-._]{0,127})$/.exec(rest);
  if (config) return { type: 'configuration', id: config[1] };
  const m = /^([A-Za-z]+)\/([0-9]{1,18})(?:\/version\/([A-Za-z0-9][A-Za-z0-9\-._]{0,63}))?$/.exec(rest);
  if (!m || (m[3] !== undefined && m[1] !== 'workflow')) return undefined;
  return m[3] !== undefined ? { type: 'workflow', id: m[2], version: m[3] } : { type: m[1], id: m[2] };
}

export const newUuid = () => randomUUID();

export const isoTime = (ms: number | null | undefined) => (ms == null ? undefined : new Date(ms).toISOString());
