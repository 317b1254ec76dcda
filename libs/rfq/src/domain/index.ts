export * from './types.js';
export * from './state-machines.js';
export * from './rfq-rules.js';
