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
//
// Here: starting and stopping the JVM, and the CLI. Beside it: jars.mjs (the
// jars), broker-config.mjs (what the JVM is started with), readiness.mjs
// (when it is ready), run-command.mjs (mvn and the storage tool).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JAVA, LOG4J2, javaArgs, randomKafkaUuid, serverProperties } from './broker-config.mjs';
import { LIB_DIR, ensureJars } from './jars.mjs';
import { explain, waitReady } from './readiness.mjs';
import { runCommand } from './run-command.mjs';

export { LIB_DIR, ensureJars };

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
      const out = await runCommand(JAVA, [...fast, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile]);
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
