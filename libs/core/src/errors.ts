/**
 * Domain errors carry a stable machine-readable code (`RFQ.EXPIRED`) and a kind that the API's
 * global filter maps to an HTTP status. Libraries throw these, never framework exceptions.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable';

export interface ErrorDetail {
  field?: string;
  message: string;
  [key: string]: unknown;
}

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind = 'unprocessable',
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = [], code = 'VALIDATION.FAILED') {
    super(code, message, 'bad_request', details);
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string) {
    super(`${entity.toUpperCase()}.NOT_FOUND`, `${entity} ${id} not found`, 'not_found');
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details: ErrorDetail[] = []) {
    super(code, message, 'conflict', details);
  }
}

/** A state machine refused a transition: names both states. */
export class IllegalTransitionError extends DomainError {
  constructor(
    readonly entity: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(
      `${entity.toUpperCase()}.ILLEGAL_TRANSITION`,
      `${entity} cannot go from ${from} to ${to}`,
      'conflict',
      [{ message: `from ${from} to ${to}`, from, to }],
    );
  }
}

/** A transient infrastructure failure that survived its retries (the client may retry). */
export class UnavailableError extends DomainError {
  constructor(message = 'Service temporarily unavailable, retry with the same idempotency key') {
    super('SERVICE.UNAVAILABLE', message, 'unavailable');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A well-formed UUID: anything else is a missing id (404) rather than a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
