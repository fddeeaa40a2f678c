export * from './body-limits.js';
export * from './endpoint.decorator.js';
export * from './framework-error-map.js';
export * from './framework-errors.js';
export * from './http-guards.js';
export * from './json-body.js';
export * from './route-interceptors.js';
export * from './route-table.js';
