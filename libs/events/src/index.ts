export * from './outbox.repository.js';
export * from './event-bus.js';
export * from './outbox-relay.service.js';
export * from './events.module.js';
export * from './confirmation-redriver.service.js';
