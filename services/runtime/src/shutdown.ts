import type { Logger } from 'pino';

/**
 * Runs `close` once on SIGTERM/SIGINT, with a hard deadline behind it.
 * A second signal while closing forces the exit.
 */
export function onShutdownSignals(close: (signal: string) => Promise<void>, log: Logger, timeoutMs = 30_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal while shutting down: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown deadline passed: exiting with work possibly unfinished');
      log.flush();
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close(signal).then(
      () => { log.info('shutdown complete'); log.flush(); setImmediate(() => process.exit(0)); },
      (err: unknown) => { log.error({ err }, 'shutdown failed'); log.flush(); setImmediate(() => process.exit(1)); },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
