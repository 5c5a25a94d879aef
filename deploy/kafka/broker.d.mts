// Types for broker.mjs (plain ESM, so it runs with no build step).

export interface StartBrokerOptions {
  /** Client port; a free one when 0 or absent. */
  port?: number;
  /** KRaft controller port; a free one when absent. */
  controllerPort?: number;
  /** Created if missing; formatted on first use, reused after. broker.log is written here. */
  dataDir: string;
  /** Listen and advertise address, default 127.0.0.1. */
  host?: string;
  /** Progress lines (fetching, formatting, ready); the broker's own log goes to broker.log. */
  log?: (msg: string) => void;
  /** Default 90 000. */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL, default 20 000. */
  stopTimeoutMs?: number;
  /** JVM heap, default 512. */
  heapMb?: number;
}

export interface RunningBroker {
  /** 'host:port', for kafkajs `brokers: [brokers]` or KAFKA_BROKERS. */
  brokers: string;
  port: number;
  controllerPort: number;
  logFile: string;
  pid: number;
  startupMs: number;
  /** Resolves when the JVM exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; err?: Error }>;
  /** SIGTERM, wait (stopTimeoutMs), then SIGKILL. Safe to call more than once. */
  stop(): Promise<void>;
}

export const LIB_DIR: string;
export function startBroker(opts: StartBrokerOptions): Promise<RunningBroker>;
export function freePort(host?: string): Promise<number>;
export function ensureJars(opts?: { log?: (msg: string) => void }): Promise<string>;
