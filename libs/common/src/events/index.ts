export * from './plughub-events.js';
export * from './audit-event.js';
export * from './event-bus.js';
export * from './on-event.decorator.js';
export * from './event-handler.explorer.js';
