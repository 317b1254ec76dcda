export * from './domain/index.js';
export * from './idempotency.repository.js';
export * from './booking.repository.js';
export * from './settlement.service.js';
export * from './settlement.module.js';
export * from './ledger-check.service.js';
export * from './hedge-booking.repository.js';
