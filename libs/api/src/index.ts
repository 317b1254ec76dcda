export * from './error.filter.js';
export * from './http-app.js';
export * from './api.module.js';
