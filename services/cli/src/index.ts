#!/usr/bin/env node
// Process entry of `stepstream`: parse, boot, and shut down on signals.
import { join } from 'node:path';
import { repairWal } from '@stepstream/queue';
import { dataDirHolder } from '@stepstream/storage';
import { ConfigError, createLogger, describeSchema, newKey, onShutdownSignals, parseConfig, parseFlags } from '@stepstream/runtime';
import { listenStepstream } from './app.js';
import { serveSchema } from './config.js';
import { runDemo, demoSchema } from './demo.js';
import { listDeadLetters, replayDeadLetters } from './dead-letters.js';

const USAGE = `stepstream — metrics pipeline for large training runs

usage:
  stepstream [serve] [flags]      run a target (default --target=all on the embedded store)
  stepstream demo [flags]         stream a simulated LLM training run to a running Stepstream;
                                  --restarts N: a job that crashes and resumes from a checkpoint;
                                  --fork: one more run, forked from the first at half its steps;
                                  --live: at a training pace (--steps-per-second, default 4) until
                                  the steps run out, --duration S is over or Ctrl-C
  stepstream key --project P --role read|write
                                  make an API key: prints the key (give it to the client) and the
                                  entry to add to STEPSTREAM_API_KEYS (only its hash is stored)
  stepstream wal-repair --data DIR
                                  repair the all-in-one write-ahead log in DIR/wal after damage (the
                                  server refuses to start on it): keeps every valid record, moves the
                                  damaged bytes to DIR/wal/damaged/, lists the sequence numbers lost.
                                  Run it with the server stopped.
  stepstream dead-letters list --data DIR
                                  the messages the all-in-one writer could not store (kept in
                                  DIR/dead-letters): id, time, state, bytes, project/run, origin, reason
  stepstream dead-letters replay --data DIR [--id N] [--database NAME]
                                  store them (or letter N) once the cause is fixed, each exactly once;
                                  exit 1 if one is refused still. Run it with the server stopped.

serve flags (each also settable by its environment variable):
${describeSchema(serveSchema)}

demo flags:
${describeSchema(demoSchema)}
`;

async function main(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv);
  const command = positional[0] ?? 'serve';
  if (flags.has('help') || command === 'help') { process.stdout.write(USAGE); return 0; }

  if (command === 'demo') {
    const cfg = parseConfig(demoSchema, flags, process.env);
    // Ctrl-C (or SIGTERM) ends a live demo cleanly: the batches in flight land, the runs are marked
    // finished. A second Ctrl-C gets Node's default: exit at once.
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => { process.stderr.write(`stepstream demo: ${signal}, stopping\n`); stop.abort(); });
    }
    return runDemo(cfg, process.stdout, stop.signal);
  }
  if (command === 'key') {
    const project = flags.get('project');
    const role = flags.get('role') ?? 'write';
    if (!project) throw new ConfigError('--project', 'is required');
    if (role !== 'read' && role !== 'write') throw new ConfigError('--role', `must be read or write, got "${role}"`);
    const { key, entry } = newKey(project, role);
    process.stdout.write(`key:   ${key}\nentry: ${entry.project}:${entry.role}:${entry.sha256}\n`);
    return 0;
  }
  if (command === 'wal-repair') {
    const data = flags.get('data');
    if (!data) throw new ConfigError('--data', 'is required: the data directory of the all-in-one target');
    // The log of a running server is never rewritten under it.
    const holder = dataDirHolder(data);
    if (holder) throw new ConfigError('--data', `${data} is in use by process ${holder.pid} (running since ${holder.since}); stop the server before repairing its log`);
    const r = await repairWal(join(data, 'wal'));
    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (r.damage.length === 0) out(`no damage found in ${join(data, 'wal')} (${r.records} valid records)`);
    for (const d of r.damage) out(`damaged: ${d.segment} bytes ${d.from}-${d.to} (${d.to - d.from} bytes), set aside in ${d.savedAs}`);
    if (r.damage.length > 0) out(`kept ${r.records} valid records`);
    for (const l of r.lost) out(`lost: sequence numbers ${l.first}-${l.last} (at most ${l.last - l.first + 1} acknowledged batches not yet stored)`);
    if (r.damage.length > 0 && r.lost.length === 0) out('lost: nothing not already stored');
    out(`new batches are numbered from ${r.nextSeq}`);
    return 0;
  }
  if (command === 'dead-letters') {
    const data = flags.get('data');
    if (!data) throw new ConfigError('--data', 'is required: the data directory of the all-in-one target');
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const action = positional[1];
    if (action === 'list') return listDeadLetters(data, out);
    if (action !== 'replay') throw new ConfigError('dead-letters', `unknown action "${action ?? ''}" (list, replay)`);
    const idFlag = flags.get('id');
    const id = idFlag === undefined ? null : Number(idFlag);
    if (id !== null && !(Number.isSafeInteger(id) && id > 0)) throw new ConfigError('--id', `must be a dead letter's id (a positive integer), got "${idFlag}"`);
    return replayDeadLetters(data, flags.get('database') ?? 'stepstream', id, out);
  }
  if (command !== 'serve') throw new ConfigError('command', `unknown command "${command}" (serve, demo, key, wal-repair, dead-letters, help)`);

  const cfg = parseConfig(serveSchema, flags, process.env);
  const log = createLogger({ level: cfg.logLevel });
  try {
    const app = await listenStepstream(cfg, log);
    onShutdownSignals(() => app.close(), log, cfg.shutdownMs);
    return -1; // keep running
  } catch (err) {
    // A flag that cannot work (port taken, data directory in use): one line, like a bad flag.
    if (err instanceof ConfigError) { log.flush(); throw err; }
    log.error({ err }, 'boot failed');
    log.flush();
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`stepstream: ${err.message}\n`);
    else process.stderr.write(`stepstream: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  },
);
