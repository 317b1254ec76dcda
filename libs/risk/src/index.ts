export * from './controls.service.js';
export * from './risk-gates.js';
export * from './risk.module.js';
