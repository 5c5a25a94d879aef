export * from './ingest-route.js';
export * from './errors.js';
