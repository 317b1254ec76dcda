export * from './fake-clock.js';
export * from './history.js';
export * from './database.js';
export * from './world.js';
export * from './auditor.js';
export * from './runner.js';
export * from './shrink.js';
export * from './simulation.js';
