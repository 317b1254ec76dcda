import { ConflictError, DomainError, NotFoundError } from '@app/core';

export const rfqNotFound = (id: string) => new NotFoundError('rfq', id);
export const quoteNotFound = (id: string) => new NotFoundError('quote', id);

export class RfqNotOpenError extends DomainError {
  constructor(id: string, state: string) {
    super('RFQ.NOT_OPEN', `RFQ ${id} is ${state}`, 'conflict', [{ message: `state ${state}`, state }]);
  }
}

export class RfqExpiredError extends DomainError {
  constructor(id: string) {
    super('RFQ.EXPIRED', `RFQ ${id} has expired`, 'conflict');
  }
}

export class QuoteNotLiveError extends DomainError {
  constructor(id: string, state: string) {
    super('QUOTE.NOT_LIVE', `quote ${id} is ${state}`, 'conflict', [{ message: `state ${state}`, state }]);
  }
}

export const duplicateClientId = (what: 'rfq' | 'quote', clientId: string) =>
  new ConflictError(
    `${what.toUpperCase()}.DUPLICATE_CLIENT_ID`,
    `client ${what} id ${clientId} was already used for a different ${what}`,
  );
