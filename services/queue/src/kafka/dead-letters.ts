// Messages the writer cannot store go to the dead-letter topic, with why and
// where they came from in headers, so the partition keeps flowing.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { DeadLetterPlace } from '../dead-letter-log.js';
import type { SourceMessage } from '../types.js';

export class KafkaDeadLetters {
  private readonly producer: Producer;
  constructor(kafka: Kafka, private readonly topic: string) {
    this.producer = kafka.producer({
      idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }
  start(): Promise<void> {
    return this.producer.connect();
  }
  async send(message: SourceMessage, reason: string, place: DeadLetterPlace): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength), headers: { 'stepstream-reason': reason, 'stepstream-origin': message.origin, 'stepstream-token': place.token, 'stepstream-landed': place.landed.join(',') } }],
    });
  }
  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
