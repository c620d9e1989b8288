import { z } from 'zod';
import { accountId, arn, document, id, int, oneOf, opt, resourceName, tagMap, text } from './validation.js';

/**
 * The run settings the domain accepts: StartRun's request, a batch's defaultRunSetting and its
 * entries, and the StartRun request one entry stands for after the merge (docs/merge-rules.md).
 * Constraints are the API reference's; the API parses requests with these same shapes.
 */

const s3Uri = (max: number) => text(1, max).regex(/^s3:\/\//, { message: 'Member must begin with s3://' });
export const workflowType = oneOf(['PRIVATE', 'READY2RUN']);
const cacheBehavior = oneOf(['CACHE_ON_FAILURE', 'CACHE_ALWAYS']);
const logLevel = oneOf(['OFF', 'FATAL', 'ERROR', 'ALL']);
const retentionMode = oneOf(['RETAIN', 'REMOVE']);
export const storageType = oneOf(['STATIC', 'DYNAMIC']);
const networkingMode = oneOf(['RESTRICTED', 'VPC']);
const scratchStorageMode = oneOf(['LOCAL', 'SHARED']);
export const requestId = text(1, 128);
const bucketOwner = z.string().length(12).regex(/^[0-9]+$/);

/** Run fields StartRun and a batch's effective settings share. */
const runFields = {
  workflowType: opt(workflowType),
  roleArn: arn(),
  name: opt(text(1, 128)),
  cacheId: opt(id()),
  cacheBehavior: opt(cacheBehavior),
  runGroupId: opt(id()),
  priority: opt(int(0, 100000)),
  parameters: opt(document()),
  storageCapacity: opt(int(0, 100000)),
  logLevel: opt(logLevel),
  retentionMode: opt(retentionMode),
  storageType: opt(storageType),
  workflowOwnerId: opt(accountId()),
  workflowVersionName: opt(resourceName(64)),
  networkingMode: opt(networkingMode),
  configurationName: opt(resourceName(128)),
  engineSettings: opt(document()),
  scratchStorageMode: opt(scratchStorageMode),
};

export const StartRunInput = z.object({
  ...runFields,
  workflowId: opt(id()),
  runId: opt(id()),
  outputUri: s3Uri(750),
  tags: opt(tagMap()),
  requestId,
});
export type StartRunInput = z.output<typeof StartRunInput>;

/** The StartRun request a batch entry turns into: as StartRun, without the client token. */
export const BatchRunInput = StartRunInput.omit({ requestId: true, runId: true }).extend({
  workflowId: id(),
  outputBucketOwnerId: opt(bucketOwner),
});
export type BatchRunInput = z.output<typeof BatchRunInput>;

export const DefaultRunSetting = z.object({
  ...runFields,
  workflowId: id(),
  outputUri: opt(s3Uri(750)),
  runTags: opt(tagMap()),
  outputBucketOwnerId: opt(bucketOwner),
  sessionPolicy: opt(z.string().min(1)),
});

export const InlineSetting = z.object({
  runSettingId: text(1, 128),
  name: opt(text(1, 128)),
  outputUri: opt(text(1, 750)),
  priority: opt(int(0, 100000)),
  parameters: opt(document()),
  outputBucketOwnerId: opt(bucketOwner),
  runTags: opt(tagMap()),
  engineSettings: opt(document()),
});
export type InlineSetting = z.output<typeof InlineSetting>;

/** StartRunBatch's request: the shared defaults and the entries, inline or in a settings file. */
export const StartRunBatchInput = z.object({
  batchName: opt(text(1, 64)),
  requestId,
  tags: opt(tagMap()),
  defaultRunSetting: DefaultRunSetting,
  batchRunSettings: z.object({
    inlineSettings: opt(z.array(InlineSetting).min(1).max(100)),
    s3UriSettings: opt(text(1, 750)),
  }),
});
export type StartRunBatchInput = z.output<typeof StartRunBatchInput>;
