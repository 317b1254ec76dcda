export * from './canonical.js';
export * from './audit.repository.js';
export * from './audit.module.js';
export * from './audit-sealer.service.js';
