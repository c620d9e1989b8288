import type { ParameterSpec } from '../model.js';

/** The parameter key that steers a simulated run (docs/runs.md); exempt from the parameter-template check. */
export const SIMULATE_KEY = '__omicsd_simulate';

/**
 * Checks run parameters against a workflow's parameter template: every required parameter present,
 * nothing outside the template. Returns the problem as a message, or undefined when they fit.
 */
export function parameterProblem(template: Record<string, ParameterSpec> | undefined, parameters: unknown): string | undefined {
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) {
    return 'parameters must be a JSON object of parameter names to values';
  }
  if (!template) return undefined;
  const given = Object.keys((parameters ?? {}) as object).filter((k) => k !== SIMULATE_KEY);
  const unknown = given.filter((k) => !Object.hasOwn(template, k));
  if (unknown.length) return `Parameters not in the workflow's parameter template: ${unknown.join(', ')}`;
  const missing = Object.entries(template).filter(([k, spec]) => !spec.optional && !given.includes(k)).map(([k]) => k);
  if (missing.length) return `Missing required parameters: ${missing.join(', ')}`;
  return undefined;
}
