import { z } from 'zod';
import { BATCH_STATUSES, RUN_STATUSES, SUBMISSION_STATUSES, TASK_STATUSES, WORKFLOW_ENGINES } from '../domain/model.js';
import { requestId, storageType, workflowType } from '../domain/run-settings.js';
import { accountId, arn, document, id, int, oneOf, opt, queryInt, tagMap, text } from '../domain/validation.js';


/** Request shapes of every operation, with the constraints of the API reference (docs/api.md). */

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

const versionName = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9\-._]*$/);

export const VersionLabel = z.object({ workflowId: id(), versionName });

export const CreateWorkflowVersionInput = CreateWorkflowInput.omit({ name: true }).extend({ versionName });
export type CreateWorkflowVersionInput = z.output<typeof CreateWorkflowVersionInput>;

export const UpdateWorkflowVersionInput = UpdateWorkflowInput.omit({ name: true });

export const GetWorkflowVersionQuery = GetWorkflowQuery;

export const ListWorkflowVersionsQuery = z.object({
  type: opt(workflowType),
  workflowOwnerId: opt(accountId()),
  startingToken: opt(text(1, 256)),
  maxResults: opt(queryInt(1, 100)),
});

const cacheBehavior = oneOf(['CACHE_ON_FAILURE', 'CACHE_ALWAYS']);

export const CreateRunCacheInput = z.object({
  cacheBehavior: opt(cacheBehavior),
  cacheS3Location: z.string().min(1).max(750).regex(/^s3:\/\/([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])\/?((.{1,1024}))?$/, { message: 'Member must be an s3:// URI' }),
  description: opt(text(1, 256)),
  name: opt(text(1, 128)),
  requestId,
  tags: opt(tagMap()),
  cacheBucketOwnerId: opt(z.string().length(12).regex(/^[0-9]+$/)),
});
export type CreateRunCacheInput = z.output<typeof CreateRunCacheInput>;

export const UpdateRunCacheInput = z.object({ cacheBehavior: opt(cacheBehavior), description: opt(text(1, 256)), name: opt(text(1, 128)) });

export const ListRunCachesQuery = z.object({ maxResults: opt(queryInt(1, 100)), startingToken: opt(text(1, 128)) });

const configurationName = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9\-._]*$/);
export const ConfigurationLabel = z.object({ name: configurationName });

export const CreateConfigurationInput = z.object({
  name: configurationName,
  description: opt(text(1, 256)),
  runConfigurations: z.object({
    vpcConfig: opt(z.object({
      securityGroupIds: opt(z.array(z.string().min(1).max(128).regex(/^sg-[0-9a-z]+$/)).min(1).max(5)),
      subnetIds: opt(z.array(z.string().min(1).max(128).regex(/^subnet-[0-9a-z]+$/)).min(1).max(16)),
    })),
  }),
  tags: opt(tagMap()),
  requestId,
});
export type CreateConfigurationInput = z.output<typeof CreateConfigurationInput>;

export const ListConfigurationsQuery = z.object({ maxResults: opt(queryInt(1, 10)), startingToken: opt(text(1, 128)) });

export const CreateShareInput = z.object({
  resourceArn: z.string().min(1).max(256),
  principalSubscriber: z.string().min(1).max(64),
  shareName: opt(z.string().min(1).max(256).regex(/^[a-zA-Z0-9_-]+$/)),
});

export const ShareLabel = z.object({ shareId: z.string().min(1).max(64) });

export const ListSharesInput = z.object({
  resourceOwner: oneOf(['SELF', 'OTHER']),
  filter: opt(z.object({
    resourceArns: opt(z.array(z.string().min(1).max(256)).min(1).max(10)),
    status: opt(z.array(oneOf(['PENDING', 'ACTIVATING', 'ACTIVE', 'DELETING', 'DELETED', 'FAILED'])).min(1).max(10)),
    type: opt(z.array(oneOf(['VARIANT_STORE', 'ANNOTATION_STORE', 'WORKFLOW'])).min(1).max(10)),
  })),
});

export const ListSharesQuery = z.object({ nextToken: opt(text(1, 256)), maxResults: opt(queryInt(1, 100)) });
