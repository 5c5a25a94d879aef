// When a starting broker is ready (it logged that it started, then a client
// probe passes), and what its log says when it is not.
import fsp from 'node:fs/promises';

const READY_LINE = 'Kafka Server started';

const noop = () => {};

/** Ready = the broker logged that it started AND a client can list topics, find a group coordinator and get a producer id. */
export async function waitReady({ logFile, brokers, exitP, isExited, deadline }) {
  const failIfExited = () => {
    const e = isExited();
    if (e) throw new Error(`kafka broker exited before it was ready (${e.err?.message ?? e.signal ?? `exit ${e.code}`})`);
  };
  const sleep = (ms) => Promise.race([new Promise((r) => setTimeout(r, ms)), exitP]);

  let offset = 0;
  let carry = '';
  for (;;) {
    failIfExited();
    if (Date.now() > deadline) throw new Error(`kafka broker not started before the deadline (no "${READY_LINE}" line)`);
    const chunk = await readFrom(logFile, offset);
    offset += chunk.length;
    const text = carry + chunk.toString('utf8');
    if (text.includes(READY_LINE)) break;
    carry = text.slice(-READY_LINE.length);
    await sleep(100);
  }

  let kafkajs;
  try {
    kafkajs = (await import('kafkajs')).default;
  } catch {
    return; // no kafkajs installed (e.g. before npm ci): the log line must do
  }
  let last;
  for (;;) {
    failIfExited();
    if (Date.now() > deadline) throw new Error(`kafka broker started but is not serving clients: ${last?.message}`);
    try {
      await probe(kafkajs, brokers);
      return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
}

/**
 * One round of what clients do first. NOTE: on a fresh broker the first
 * FindCoordinator creates __consumer_offsets and the first InitProducerId
 * waits for a block of producer ids; kafkajs logs both retriable answers at
 * ERROR level ("group coordinator is not available", "coordinator is
 * loading"), so we take them here, silently, before calling the broker ready.
 */
async function probe({ Kafka, Partitioners, logLevel }, brokers) {
  const kafka = new Kafka({
    clientId: 'stepstream-ready',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  // Naming the partitioner keeps kafkajs' once-per-process partitioner
  // warning for the caller's own producers.
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeGroups(['stepstream-ready']);
    await producer.connect();
  } finally {
    await producer.disconnect().catch(noop);
    await admin.disconnect().catch(noop);
  }
}

async function readFrom(file, offset) {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** What explains a failed start: the broker's first ERROR lines, then its last lines. */
export async function explain(file, lines = 30) {
  let text;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return '(no broker log)';
  }
  const all = text.trimEnd().split('\n');
  const errors = all.filter((l) => / ERROR |^Caused by: /.test(l)).slice(0, 8);
  const parts = [];
  if (errors.length) parts.push(`--- first errors in ${file} ---`, ...errors);
  parts.push(`--- last lines of ${file} ---`, ...all.slice(-lines));
  return parts.join('\n');
}
