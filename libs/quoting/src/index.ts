export * from './strategy.repository.js';
