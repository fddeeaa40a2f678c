export * from './app-error.js';
export * from './error-codes.js';
export * from './error-envelope.js';
export * from './error-response.dto.js';
export * from './all-exceptions.filter.js';
export * from './named-error.js';
