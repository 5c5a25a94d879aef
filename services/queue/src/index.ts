export * from './types.js';
export * from './kafka/client.js';
export * from './kafka/kafka-sink.js';
export * from './kafka/kafka-source.js';
export * from './kafka/dead-letters.js';
export * from './wal-queue.js';
