export * from './types.js';
export * from './ranking.js';
export * from './execution.js';
export * from './accept.js';
