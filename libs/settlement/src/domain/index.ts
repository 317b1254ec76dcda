export * from './leg-prices.js';
export * from './fees.js';
export * from './postings.js';
export * from './positions.js';
export * from './ledger-check.js';
