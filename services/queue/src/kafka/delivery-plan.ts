// A delivery's plan as Kafka keeps it: the metadata `plan:<end>` of the
// partition's committed offset <start> (why: the NOTE atop kafka-source.ts).
import type { Admin } from 'kafkajs';

const PLAN = /^plan:(\d+)$/;

/** The metadata committed with offset `start` to record that delivery [start, end] was handed out. */
export function planMetadata(end: number): string {
  return `plan:${end}`;
}

/** A partition's committed offset (-1 when none) and the end of the plan committed with it, if any. */
export async function fetchCommitted(admin: Admin, groupId: string, topic: string, partition: number): Promise<{ offset: number; planEnd: number | null }> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = fetched?.partitions.find((p) => p.partition === partition);
  const m = committed?.metadata ? PLAN.exec(committed.metadata) : null;
  return { offset: Number(committed?.offset ?? -1), planEnd: m ? Number(m[1]) : null };
}
