/*
 * The object store's own errors. They carry no HTTP or API semantics: the service maps them to its API errors
 * at its edge. Messages are written to be shown to a client as they are (they name the S3 URI concerned).
 */

/** Base class of every error the object store raises on purpose; `kind` says which one without instanceof chains. */
export abstract class ObjectStoreError extends Error {
  abstract readonly kind: 'NotFound' | 'AccessDenied' | 'InvalidRequest' | 'Changed';
}

/** The bucket or object does not exist (or a local file to copy from does not). */
export class ObjectNotFoundError extends ObjectStoreError {
  readonly kind = 'NotFound';
  constructor(message: string) {
    super(message);
    this.name = 'ObjectNotFoundError';
  }
}

/** The backend refused access (S3 403, filesystem EACCES/EPERM). */
export class ObjectAccessDeniedError extends ObjectStoreError {
  readonly kind = 'AccessDenied';
  constructor(message: string) {
    super(message);
    this.name = 'ObjectAccessDeniedError';
  }
}

/** The request itself is not acceptable: invalid URI, bucket or key, body length mismatch, key conflicts, etc. */
export class ObjectRequestError extends ObjectStoreError {
  readonly kind = 'InvalidRequest';
  constructor(message: string) {
    super(message);
    this.name = 'ObjectRequestError';
  }
}

/** The object no longer has the ETag a read was pinned to. */
export class ObjectChangedError extends ObjectStoreError {
  readonly kind = 'Changed';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Object changed: expected ETag ${expected}, found ${actual}`);
    this.name = 'ObjectChangedError';
  }
}
