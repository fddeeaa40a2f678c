export * from './database.module.js';
export * from './paginate.js';
export * from './duplicate-key.js';
export * from './object-id.js';
export * from './props.js';
export * from './persistence.js';
export * from './changes.js';
