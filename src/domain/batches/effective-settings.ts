/** Fields a batch entry may set; everything else comes from defaultRunSetting only. */
const REPLACED = ['name', 'outputUri', 'priority', 'outputBucketOwnerId', 'engineSettings'] as const;
/** defaultRunSetting members that are the batch's own and never reach a run. */
const BATCH_ONLY = ['runTags', 'sessionPolicy'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `b` over `a`, one level deep; a non-object on either side means `b` (when given) replaces `a`. */
function shallowMerge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (isObject(a) && isObject(b)) return { ...a, ...b };
  return b;
}

/**
 * The StartRun request one batch entry stands for: defaults, with the entry's name/outputUri/priority/
 * outputBucketOwnerId/engineSettings replacing them and its parameters and runTags merged over them
 * (entry wins on equal keys). Batch `tags` are never part of it.
 */
export function effectiveRunRequest(defaults: Record<string, unknown>, entry: Record<string, unknown>): Record<string, unknown> {
  const run: Record<string, unknown> = { ...defaults };
  for (const k of BATCH_ONLY) delete run[k];
  for (const k of REPLACED) if (entry[k] !== undefined && entry[k] !== null) run[k] = entry[k];
  const parameters = shallowMerge(defaults.parameters ?? undefined, entry.parameters ?? undefined);
  if (parameters !== undefined) run.parameters = parameters;
  const tags = shallowMerge(defaults.runTags ?? undefined, entry.runTags ?? undefined);
  if (tags !== undefined) run.tags = tags;
  return run;
}
