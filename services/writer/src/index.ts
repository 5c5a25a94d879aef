export * from './batch-writer.js';
export * from './write-set.js';
export * from './refusal-split.js';
