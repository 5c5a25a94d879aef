export * from './config.js';
export * from './logger.js';
export * from './errors.js';
export * from './metrics.js';
export * from './http-server.js';
export * from './shutdown.js';
export * from './retry.js';
export * from './api-keys.js';
