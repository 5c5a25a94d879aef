export * from './types.js';
export * from './kafka/client.js';
export * from './kafka/kafka-sink.js';
export * from './kafka/kafka-source.js';
export * from './kafka/dead-letters.js';
export * from './wal-queue.js';
export * from './dead-letter-log.js';
export { WalDamagedError } from './wal/segment-log.js';
export { repairWal, type WalRepairReport } from './wal/repair.js';
