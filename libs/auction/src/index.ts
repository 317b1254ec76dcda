export * from './domain/index.js';
export * from './auction.service.js';
export * from './auction.module.js';
export * from './timers.processor.js';
export * from './expiry-sweeper.service.js';
export * from './auction-engine.module.js';
