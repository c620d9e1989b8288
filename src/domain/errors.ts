/** The error types the service answers with, and the HTTP status each one carries on the wire. */
export const ERROR_STATUS = {
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  RequestTimeoutException: 408,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  InternalServerException: 500,
  // Not in the Omics model: the store cannot write (disk full); SDKs retry a 503.
  ServiceUnavailableException: 503,
  // Not in the Omics model: AWS JSON-service conventions for requests that match no operation.
  UnknownOperationException: 404,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

/** An error that reaches the client as a typed AWS exception (`__type` + `message`). */
export class ServiceError extends Error {
  readonly status: number;
  constructor(readonly type: ErrorType, message: string) {
    super(message);
    this.name = type;
    this.status = ERROR_STATUS[type];
  }
}

export const validationError = (message: string) => new ServiceError('ValidationException', message);
export const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message);
export const conflict = (message: string) => new ServiceError('ConflictException', message);
export const accessDenied = (message: string) => new ServiceError('AccessDeniedException', message);
export const throttled = (message: string) => new ServiceError('ThrottlingException', message);
export const quotaExceeded = (message: string) => new ServiceError('ServiceQuotaExceededException', message);
