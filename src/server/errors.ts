import { randomUUID } from 'node:crypto';

/**
 * Error types of refusals made before any operation runs (docs/security.md). They are not in the
 * Omics model, except AccessDeniedException and ValidationException: the SDKs surface the others
 * as a generic service exception carrying the name.
 */
export type RefusalType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'AccessDeniedException'
  | 'ValidationException'
  | 'RequestTimeoutException';

/** A request refused by the edge (authentication, Host/Origin, content type, framing). */
export class RequestRefused extends Error {
  constructor(readonly type: RefusalType, readonly status: number, message: string) {
    super(message);
    this.name = type;
  }
}

export const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. '
  + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export const authRefusal = (type: Exclude<RefusalType, 'ValidationException' | 'AccessDeniedException' | 'RequestTimeoutException'>, message: string) =>
  new RequestRefused(type, 403, message);

/** The AWS JSON error body (docs/errors.md): `__type` with the service namespace, and `message`. */
export const errorBody = (type: string, message: string) => JSON.stringify({ __type: `com.amazonaws.omics#${type}`, message });

/**
 * A complete HTTP/1.1 error response for a connection Node could not parse (bad request line,
 * headers too large, timeout): Fastify never sees those requests, so they are written raw.
 */
export function rawErrorResponse(status: number, reason: string, type: string, message: string): string {
  const body = errorBody(type, message);
  return `HTTP/1.1 ${status} ${reason}\r\n`
    + `Content-Type: application/json\r\n`
    + `X-Amzn-ErrorType: ${type}\r\n`
    + `x-amzn-RequestId: ${randomUUID()}\r\n`
    + `Date: ${new Date().toUTCString()}\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\n`
    + `Connection: close\r\n\r\n${body}`;
}
