export * from './errors.js';
export * from './decimal.js';
export * from './clock.js';
export * from './config.js';
export * from './config.module.js';
export * from './queues.js';
export * from './api-key-crypto.js';
export * from './lifecycle.js';
