import type { ApiRequest, Services } from './route.js';

/**
 * Operations of AWS JSON-protocol services (awsJson1_1) that omicsd answers next to its restJson1
 * HealthOmics routes: a client POSTs to `/` and names the operation in `X-Amz-Target:
 * <namespace>.<operation>` (docs/api.md, "Run logs"). What differs from the HealthOmics routes
 * belongs to the service: the SigV4 service name its clients sign for, its one content type and its
 * error shape (docs/security.md, "Service name per operation").
 */

export interface TargetOperation {
  /** The operation's name, as it follows the namespace in X-Amz-Target. */
  name: string;
  /** Returns the JSON output. */
  handler: (req: ApiRequest, s: Services) => Promise<object>;
}

export interface TargetService {
  /** The X-Amz-Target namespace, e.g. `Logs_20140328`. */
  namespace: string;
  /** The service name of the SigV4 credential scope its clients sign with, e.g. `logs`. */
  signingName: string;
  /** The media type its clients send (requests) and get (responses). */
  contentType: string;
  operations: TargetOperation[];
  /** The error type and HTTP status its clients expect in place of omicsd's own. */
  error(type: string, status: number): { type: string; status: number };
}

export interface ResolvedTarget {
  service: TargetService;
  /** Undefined when the service has no operation of that name: UnknownOperationException. */
  operation?: TargetOperation;
}

/** The service whose namespace an X-Amz-Target names, and its operation of that name; undefined for any other namespace. */
export function resolveTarget(services: readonly TargetService[], header: string | string[] | undefined): ResolvedTarget | undefined {
  if (typeof header !== 'string') return undefined;
  const dot = header.indexOf('.');
  if (dot < 0) return undefined;
  const service = services.find((s) => s.namespace === header.slice(0, dot));
  if (!service) return undefined;
  return { service, operation: service.operations.find((o) => o.name === header.slice(dot + 1)) };
}

/** The awsJson1_1 error body: `__type` is the bare error name (docs/api.md, "Run logs"). */
export const targetErrorBody = (type: string, message: string) => JSON.stringify({ __type: type, message });
