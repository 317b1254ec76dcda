export * from './rfq-client.js';
