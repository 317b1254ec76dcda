export * from './db.tokens.js';
export * from './prisma.service.js';
export * from './transaction.js';
export * from './db.module.js';
export * from './redis.module.js';
export * from './health.service.js';
export * from './infra.module.js';
export * from './seed.js';
