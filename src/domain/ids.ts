import { randomUUID } from 'node:crypto';

/** The account of a deployment without credentials, and of data written before accounts existed (`--account-id`). */
export const DEFAULT_ACCOUNT_ID = '123456789012';

export type ResourceType = 'workflow' | 'run' | 'runGroup' | 'runBatch' | 'task';

export interface ArnContext {
  region: string;
  accountId: string;
}

export const arnOf = (ctx: ArnContext, type: ResourceType, id: string | number) =>
  `arn:aws:omics:${ctx.region}:${ctx.accountId}:${type}/${id}`;

/** Splits an omics ARN of this deployment into its resource type and id, or returns undefined. */
export function parseArn(ctx: ArnContext, arn: string): { type: string; id: string } | undefined {
  const prefix = `arn:aws:omics:${ctx.region}:${ctx.accountId}:`;
  if (!arn.startsWith(prefix)) return undefined;
  const m = /^([A-Za-z]+)\/([0-9]{1,18})$/.exec(arn.slice(prefix.length));
  return m ? { type: m[1], id: m[2] } : undefined;
}

export const newUuid = () => randomUUID();

export const isoTime = (ms: number | null | undefined) => (ms == null ? undefined : new Date(ms).toISOString());
