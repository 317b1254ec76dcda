export * from './controls.service.js';
export * from './risk-gates.js';
export * from './protection.service.js';
export * from './markout.service.js';
export * from './risk-events.processor.js';
export * from './risk.module.js';
export * from './analytics.repository.js';
