import { z } from 'zod';
import { BATCH_STATUSES, RUN_STATUSES, SUBMISSION_STATUSES, TASK_STATUSES, WORKFLOW_ENGINES } from '../domain/model.js';
import { accountId, arn, document, id, int, oneOf, opt, queryInt, resourceName, tagMap, text } from './validation.js';

/** Request shapes of every operation, with the constraints of the API reference (see shared/spec). */

const s3Uri = (max: number) => text(1, max).regex(/^s3:\/\//, { message: 'Member must begin with s3://' });
const workflowType = oneOf(['PRIVATE', 'READY2RUN']);
const cacheBehavior = oneOf(['CACHE_ON_FAILURE', 'CACHE_ALWAYS']);
const logLevel = oneOf(['OFF', 'FATAL', 'ERROR', 'ALL']);
const retentionMode = oneOf(['RETAIN', 'REMOVE']);
const storageType = oneOf(['STATIC', 'DYNAMIC']);
const networkingMode = oneOf(['RESTRICTED', 'VPC']);
const scratchStorageMode = oneOf(['LOCAL', 'SHARED']);
const requestId = text(1, 128);
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

export const BatchIdBody = z.object({ batchId: id() });

export const ListBatchQuery = z.object({
  maxItems: opt(queryInt(1, 100)),
  startingToken: opt(text(1, 128)),
  status: opt(oneOf(BATCH_STATUSES)),
  name: opt(text(1, 64)),
  runGroupId: opt(id()),
});

export const ListRunsInBatchQuery = z.object({
  maxItems: opt(queryInt(1, 100)),
  startingToken: opt(text(1, 128)),
  submissionStatus: opt(oneOf(SUBMISSION_STATUSES)),
  runSettingId: opt(text(1, 128)),
  runId: opt(id()),
});

export const ListRunsQuery = z.object({
  name: opt(text(1, 128)),
  runGroupId: opt(id()),
  batchId: opt(id()),
  startingToken: opt(text(1, 128)),
  maxResults: opt(queryInt(1, 100)),
  status: opt(oneOf(RUN_STATUSES)),
});

export const ListByNameQuery = z.object({
  name: opt(text(1, 128)),
  startingToken: opt(text(1, 128)),
  maxResults: opt(queryInt(1, 100)),
});

export const ListWorkflowsQuery = ListByNameQuery.extend({ type: opt(workflowType) });

export const ListRunTasksQuery = z.object({
  status: opt(oneOf(TASK_STATUSES)),
  startingToken: opt(text(1, 128)),
  maxResults: opt(queryInt(1, 100)),
});

export const GetWorkflowQuery = z.object({
  type: opt(workflowType),
  export: opt(z.array(oneOf(['DEFINITION', 'README'])).max(32)),
  workflowOwnerId: opt(accountId()),
});

export const GetRunQuery = z.object({ export: opt(z.array(oneOf(['DEFINITION'])).max(32)) });

const workflowParameter = z.object({ description: opt(z.string().max(256).regex(/^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u)), optional: opt(z.boolean()) });

export const CreateWorkflowInput = z.object({
  name: opt(text(1, 128)),
  description: opt(text(1, 256)),
  engine: opt(oneOf(WORKFLOW_ENGINES)),
  definitionZip: opt(z.string().regex(/^[A-Za-z0-9+/=\s]*$/, { message: 'Member must be base64' })),
  definitionUri: opt(text(1, 256)),
  definitionRepository: opt(z.object({
    connectionArn: z.string().min(1).max(256).regex(/^arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+$/),
    fullRepositoryId: z.string().regex(/^.+\/.+$/),
    sourceReference: opt(z.object({ type: oneOf(['BRANCH', 'TAG', 'COMMIT']), value: z.string().min(1) })),
    excludeFilePatterns: opt(z.array(z.string()).min(1).max(50)),
  })),
  main: opt(text(1, 128)),
  parameterTemplate: opt(z.record(text(1, 128), workflowParameter).refine((m) => {
    const n = Object.keys(m).length;
    return n >= 1 && n <= 2000;
  }, { message: 'Member must have between 1 and 2000 entries' })),
  parameterTemplatePath: opt(text(1, 128)),
  storageCapacity: opt(int(0, 100000)),
  storageType: opt(storageType),
  accelerators: opt(oneOf(['GPU'])),
  tags: opt(tagMap()),
  requestId,
  containerRegistryMap: opt(document()),
  containerRegistryMapUri: opt(text(1, 750)),
  readmeMarkdown: opt(z.string()),
  readmePath: opt(text(1, 128)),
  readmeUri: opt(z.string().regex(/^s3:\/\/([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])\/((.{1,1024}))$/)),
  workflowBucketOwnerId: opt(accountId()),
});
export type CreateWorkflowInput = z.output<typeof CreateWorkflowInput>;

export const UpdateWorkflowInput = z.object({
  name: opt(text(1, 128)),
  description: opt(text(1, 256)),
  storageType: opt(storageType),
  storageCapacity: opt(int(0, 100000)),
  readmeMarkdown: opt(z.string()),
});

const groupLimits = {
  maxCpus: opt(int(1, 100000)),
  maxRuns: opt(int(1, 100000)),
  maxDuration: opt(int(1, 100000)),
  maxGpus: opt(int(1, 100000)),
};

export const CreateRunGroupInput = z.object({ name: opt(text(1, 128)), ...groupLimits, tags: opt(tagMap()), requestId });
export type CreateRunGroupInput = z.output<typeof CreateRunGroupInput>;
export const UpdateRunGroupInput = z.object({ name: opt(text(1, 128)), ...groupLimits });

export const ResourceArnLabel = arn(150);
export const TagResourceInput = z.object({ tags: tagMap() });
export const UntagResourceQuery = z.object({ tagKeys: z.array(z.string().min(1).max(128)).max(50) });
