export * from './config/index.js';
export * from './crypto/secret-cipher.js';
export * from './errors/all-exceptions.filter.js';
export * from './errors/app.error.js';
export * from './common.module.js';
export * from './cache/expiring-map.js';
export * from './input/json-limits.js';
export * from './input/well-formed-text.pipe.js';
