export * from './batch-writer.js';
export * from './write-set.js';
