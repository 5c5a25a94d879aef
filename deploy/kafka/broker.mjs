#!/usr/bin/env node
// A local Apache Kafka broker for development and tests: one node in KRaft
// mode (broker and controller in one JVM), run from the Maven Central jars
// that pom.xml fetches into ./lib, with the machine's Java 17+.
//
//   node deploy/kafka/broker.mjs --port 9092 --data .stepstream/kafka
//   node deploy/kafka/broker.mjs --fetch          # only fetch the jars
//
// As a library: `startBroker({ port, dataDir })` resolves once a Kafka client
// can list topics, and returns `{ brokers, stop }`. Plain ESM on purpose: it
// runs with no build step, before `npm ci` even (kafkajs is only used, when
// present, to confirm readiness).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'pom.xml');
export const LIB_DIR = path.join(HERE, 'lib');
const STAMP = '.stamp';
const READY_LINE = 'Kafka Server started';
// Like mvn: JAVA_HOME's java when set, else the one on PATH.
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

const noop = () => {};

/** A TCP port that was free a moment ago on `host` (the OS picks it). */
export async function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

function pomHash() {
  return createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
}

function jarsPresent(dir, hash) {
  try {
    return fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

/**
 * Fetches the jars into lib/ unless lib/.stamp already holds the pom's sha256.
 * NOTE: mvn writes into a private temp dir that is renamed into place, so two
 * test workers fetching at once never see (or leave) a half-filled lib/.
 */
export async function ensureJars({ log = noop } = {}) {
  const hash = pomHash();
  if (jarsPresent(LIB_DIR, hash)) return LIB_DIR;
  const tmp = `${LIB_DIR}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  log(`fetching Kafka jars with mvn into ${LIB_DIR}`);
  try {
    await run('mvn', ['-q', '-B', '-f', POM, `-Dkafka.lib.dir=${tmp}`, 'dependency:copy-dependencies']);
    fs.writeFileSync(path.join(tmp, STAMP), `${hash}\n`);
    if (!jarsPresent(LIB_DIR, hash)) {
      fs.rmSync(LIB_DIR, { recursive: true, force: true }); // stale: another pom version
      try {
        fs.renameSync(tmp, LIB_DIR);
      } catch (err) {
        // Another process won the race; fine if what it left is complete.
        if (!jarsPresent(LIB_DIR, hash)) throw err;
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`fetched Kafka jars in ${Date.now() - started} ms`);
  return LIB_DIR;
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b) => { out = (out + b.toString()).slice(-8000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) =>
      reject(new Error(`cannot run ${cmd} (${err.message}); run .ci/kafka-prereqs.sh to install Java 17 and Maven`, { cause: err })));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out}`));
    });
  });
}

/** A Kafka cluster/directory id: 16 random bytes, base64url, never starting with '-'. */
function randomKafkaUuid() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties({ host, port, controllerPort, logDirs }) {
  return `# Written by deploy/kafka/broker.mjs on each start; edits are overwritten.
process.roles=broker,controller
node.id=1
# Static single-voter quorum: the data dir survives a restart on other ports.
controller.quorum.voters=1@${host}:${controllerPort}
listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}
advertised.listeners=PLAINTEXT://${host}:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDirs}

# One node: every internal topic with replication factor 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

# Tests create their topics explicitly and want groups to start at once.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

# Small footprint on a 2-core machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
log.segment.bytes=67108864
log.retention.hours=24
`;
}

const LOG4J2 = `# Written by deploy/kafka/broker.mjs. Everything to stdout, which goes to broker.log.
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
`;

function javaArgs({ libDir, dataDir, heapMb }) {
  return [
    `-Xms${Math.min(128, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(dataDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    `${libDir}/*`,
  ];
}

/** What explains a failed start: the broker's first ERROR lines, then its last lines. */
async function explain(file, lines = 30) {
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

/**
 * Starts the broker and resolves once it serves clients.
 * @param {object} opts
 * @param {number} [opts.port]            client port; a free one when 0 or absent
 * @param {number} [opts.controllerPort]  KRaft controller port; a free one when absent
 * @param {string} opts.dataDir           created if missing; formatted on first use, reused after
 * @param {string} [opts.host]            listen/advertise address, default 127.0.0.1
 * @param {(msg: string) => void} [opts.log]  progress lines (not the broker's own log)
 * @param {number} [opts.readyTimeoutMs]  default 90 s
 * @param {number} [opts.stopTimeoutMs]   SIGTERM grace before SIGKILL, default 20 s
 * @param {number} [opts.heapMb]          default 512
 */
export async function startBroker(opts) {
  // NOTE: a port from freePort() can be taken by someone else before the JVM
  // binds it; when we chose the ports, choose again (the data dir is reusable).
  const chosen = !opts.port && !opts.controllerPort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(chosen && err.bindFailed && attempt < 3)) throw err;
      (opts.log ?? noop)(`a chosen port was taken, retrying: ${err.message.split('\n', 1)[0]}`);
    }
  }
}

async function startOnce(opts) {
  const { dataDir, host = '127.0.0.1', log = noop, readyTimeoutMs = 90_000, stopTimeoutMs = 20_000, heapMb = 512 } = opts;
  if (!dataDir) throw new Error('startBroker: dataDir is required');
  const started = Date.now();
  const port = opts.port || (await freePort(host));
  const controllerPort = opts.controllerPort || (await freePort(host));
  const libDir = await ensureJars({ log });

  const dir = path.resolve(dataDir);
  const logDirs = path.join(dir, 'data');
  const logFile = path.join(dir, 'broker.log');
  const propsFile = path.join(dir, 'server.properties');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(propsFile, serverProperties({ host, port, controllerPort, logDirs }));
  await fsp.writeFile(path.join(dir, 'log4j2.properties'), LOG4J2);
  const base = javaArgs({ libDir, dataDir: dir, heapMb });

  if (!fs.existsSync(path.join(logDirs, 'meta.properties'))) {
    const clusterId = randomKafkaUuid();
    log(`formatting ${logDirs} (cluster ${clusterId})`);
    try {
      // A short-lived tool: C1 only and the serial GC start it ~35% faster.
      const fast = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', ...base.filter((a) => !a.startsWith('-XX:'))];
      const out = await run(JAVA, [...fast, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile]);
      await fsp.appendFile(logFile, `--- kafka-storage format ---\n${out}\n--- broker ---\n`);
    } catch (err) {
      throw new Error(`kafka storage format failed: ${err.message}`, { cause: err });
    }
  }

  const out = fs.openSync(logFile, 'a');
  // NOTE: its own process group, so a terminal's Ctrl-C reaches only us and we
  // decide the shutdown; the watchdog below covers our own abrupt death.
  const child = spawn(JAVA, [...base, 'kafka.Kafka', propsFile], { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  let exited = null; // { code, signal } once the JVM is gone
  const exitP = new Promise((resolve) => {
    child.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); });
    child.once('error', (err) => { exited = { code: null, signal: null, err }; resolve(exited); });
  });
  // Watchdog: a shell holding a pipe from us. When this process dies in any
  // way (even SIGKILL) the pipe closes, `read` returns, and it stops the JVM.
  const watchdog = spawn('/bin/sh', ['-c',
    'read -r _; kill -TERM "$1" 2>/dev/null; i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL "$1" 2>/dev/null',
    'kafka-watchdog', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.unref();
  watchdog.stdin.unref(); // the pipe must not keep our event loop alive
  watchdog.stdin.on('error', noop);
  // An exit without stop(): ask the JVM to shut down (it finishes on its own).
  const onExit = () => { try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ } };
  process.once('exit', onExit);

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      try { watchdog.kill('SIGKILL'); } catch { /* gone */ }
      if (!exited) {
        child.kill('SIGTERM');
        let timer;
        const timeout = new Promise((r) => { timer = setTimeout(r, stopTimeoutMs, 'timeout'); });
        const result = await Promise.race([exitP, timeout]);
        clearTimeout(timer);
        if (result === 'timeout') {
          log(`broker did not stop within ${stopTimeoutMs} ms, killing it`);
          child.kill('SIGKILL');
          await exitP;
        }
      }
      process.removeListener('exit', onExit);
    })();
    return stopping;
  };

  const brokers = `${host}:${port}`;
  try {
    await waitReady({ logFile, brokers, exitP, isExited: () => exited, deadline: started + readyTimeoutMs });
  } catch (err) {
    await stop();
    const why = await explain(logFile);
    throw Object.assign(new Error(`${err.message}\n${why}`, { cause: err }), { bindFailed: /Address already in use/.test(why) });
  }
  const ms = Date.now() - started;
  log(`kafka ready on ${brokers} in ${ms} ms (log: ${logFile})`);
  return { brokers, port, controllerPort, logFile, pid: child.pid, startupMs: ms, exited: exitP, stop };
}

/** Ready = the broker logged that it started AND a client can list topics, find a group coordinator and get a producer id. */
async function waitReady({ logFile, brokers, exitP, isExited, deadline }) {
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

// ---- CLI ------------------------------------------------------------------

const USAGE = `usage: node deploy/kafka/broker.mjs --port 9092 --data DIR [--controller-port N] [--host 127.0.0.1]
       node deploy/kafka/broker.mjs --fetch     fetch the jars into deploy/kafka/lib and exit`;

function parseArgs(argv) {
  const args = { port: 9092, controllerPort: undefined, dataDir: undefined, host: '127.0.0.1', fetch: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    switch (flag) {
      case '--port': args.port = toPort(flag, value()); break;
      case '--controller-port': args.controllerPort = toPort(flag, value()); break;
      case '--data': args.dataDir = value(); break;
      case '--host': args.host = value(); break;
      case '--fetch': args.fetch = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown argument ${argv[i]}`);
    }
  }
  if (!args.fetch && !args.dataDir) fail('--data DIR is required');
  // A stable default beside the client port, so a kept data dir restarts alike.
  args.controllerPort ??= args.port + 1;
  return args;
}

function toPort(flag, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${flag} must be a port number, got ${v}`);
  return n;
}

function fail(msg) {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const log = (msg) => console.error(`[kafka] ${msg}`);
  if (args.fetch) {
    await ensureJars({ log });
    log(`jars ready in ${LIB_DIR}`);
    return;
  }
  const broker = await startBroker({ ...args, log });
  console.log(`KAFKA_BROKERS=${broker.brokers}`);
  let shuttingDown = false;
  const shutdown = async (sig) => {
    shuttingDown = true;
    log(`${sig}: stopping broker`);
    await broker.stop();
    log('stopped');
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const e = await broker.exited;
  if (shuttingDown) return;
  log(`broker exited on its own (${e.signal ?? `exit ${e.code}`}); see ${broker.logFile}`);
  process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`[kafka] ${err.message}`);
    process.exit(1);
  });
}
