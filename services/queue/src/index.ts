export * from './types.js';
export * from './memory-queue.js';
