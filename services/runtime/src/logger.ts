import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger of a process; components take children of it. */
export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name ?? 'stepstream',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.password', '*.apiKey'], censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
