// The store: the one owner of Stepstream's SQL, on either adapter.
import type { Logger } from 'pino';
import { RUN_STATUS, type DecodedRunInfo } from '@stepstream/proto';
import { identifier, type Settings, type StoreAdapter } from './adapter.js';
import { migrate, type MigrateOptions } from './migrate.js';
import { encodePointsBlock, POINT_COLUMNS, countRows, sortSeries, type SeriesRows } from './points-block.js';
import { EngineScheduler } from './engine-scheduler.js';
import { DEFAULT_READ_LIMITS, schedulerOptions, type ReadLimits } from './read-limits.js';
import { LineageReads } from './lineage-reads.js';
import { PointExports } from './point-export.js';
import { RankReads } from './rank-reads.js';
import { Reads } from './reads.js';
import { RunList } from './run-list.js';
import { WRITER_TIER, tierTable } from './tiers.js';
import { encodeTierBlock, tiersOf, TIER_COLUMNS } from './tier-block.js';
import { encodeRankBlock, rankStepsOf, RANK_STEP_COLUMNS } from './rank-block.js';

export interface BatchRecord {
  project: string;
  run: string;
  attempt: number;
  clientId: string;
  sequence: string;
  points: number;
  receivedMs: number;
}

/** A RunInfo as a client sent it, with where and when it was received. */
export interface RunInfoRecord extends DecodedRunInfo {
  project: string;
  run: string;
  /** The attempt of the request that carried it: its resume_step is that attempt's. */
  attempt: number;
  /** Later versions win, field by field (a default value never overwrites). */
  version: number;
  receivedMs: number;
}

/** What one writer flush stores, under one deterministic deduplication token. */
export interface WriteSet {
  token: string;
  series: readonly SeriesRows[];
  batches: readonly BatchRecord[];
  runs: readonly RunInfoRecord[];
}

/** The parts of a write set, each one insert (the tiers: the writer's tier, which feeds the views). */
export type WritePart = 'runs' | 'points' | 'tiers' | 'ranks' | 'ends' | 'keys';

/** The statuses that end a run. */
const ENDED = new Set<number>([RUN_STATUS.FINISHED, RUN_STATUS.FAILED, RUN_STATUS.CRASHED]);

/**
 * A client batch's identity: a retry has the same key, a restarted process
 * that starts its sequence again under a higher attempt does not. Attempt 0
 * keeps the key of the releases before attempts, so a retry across an upgrade
 * still counts once.
 */
export function batchKey(project: string, run: string, attempt: number, clientId: string, sequence: string): string {
  const key = `${project}\u001f${run}\u001f${clientId}\u001f${sequence}`;
  return attempt === 0 ? key : `${key}\u001f${attempt}`;
}

export class Store {
  readonly db: string;
  readonly reads: Reads;
  /** Reads over runs' lineage: the facts, and series and summaries over effective segments. */
  readonly lineage: LineageReads;
  /** Reads across the ranks of a metric: band and heatmap. */
  readonly ranks: RankReads;
  /** Run lists filtered, sorted and paged in the engine. */
  readonly runList: RunList;
  /** Every raw point over segments, streamed in Parquet, Arrow or CSV. */
  readonly exports: PointExports;
  /** The line every read waits in (the writer's statements do not). */
  readonly line: EngineScheduler;

  constructor(readonly adapter: StoreAdapter, database: string, private readonly log: Logger, limits: ReadLimits = DEFAULT_READ_LIMITS) {
    this.db = identifier(database);
    this.line = new EngineScheduler(schedulerOptions(adapter.kind, limits));
    this.reads = new Reads(adapter, this.db, this.line);
    this.lineage = new LineageReads(adapter, this.db, this.line);
    this.ranks = new RankReads(adapter, this.db, this.line);
    this.runList = new RunList(adapter, this.db, this.line);
    this.exports = new PointExports(adapter, this.db);
  }

  migrate(opts?: MigrateOptions): Promise<number> {
    return migrate(this.adapter, this.db, this.log, opts);
  }

  /** Which of these batch keys were stored, other than by the write set `exceptToken`. */
  async storedBatches(keys: readonly string[], exceptToken: string): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.adapter.query<{ key: string }>(
      `SELECT DISTINCT key FROM ${this.db}.batches WHERE key IN {keys:Array(String)} AND token != {token:String}`,
      { keys, token: exceptToken },
    );
    return new Set(rows.map((r) => r.key));
  }

  /**
   * Stores a write set. Safe to repeat with the same token and content: every
   * table drops the repeated blocks (see docs/guarantees.md).
   *
   * `landed` names the parts already stored (skipped) and gets each part
   * added as it is stored, so a caller whose write failed knows which parts
   * hold the set's rows: the writer needs it to split a refused write set
   * without storing a row twice (batch-writer.ts).
   */
  async write(set: WriteSet, landed: Set<WritePart> = new Set()): Promise<{ rows: number; ms: Record<string, number> }> {
    const settings: Settings = {
      insert_deduplicate: 1,
      insert_deduplication_token: set.token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
    };
    const ms: Record<string, number> = {};
    const timed = async (name: WritePart, f: () => Promise<void>) => {
      if (landed.has(name)) return;
      const t0 = performance.now();
      await f();
      ms[name] = Math.round(performance.now() - t0);
      landed.add(name);
    };
    const runRow = (r: RunInfoRecord, whole: boolean) => ({
      project: r.project, run: r.run, version: r.version, received_ms: r.receivedMs, name: r.name, config_json: r.configJson,
      tags: r.tags, status: whole ? r.status : RUN_STATUS.UNSPECIFIED, started_ms: r.startedMs, finished_ms: whole ? r.finishedMs : 0, meta: r.meta,
      attempt: r.attempt, resume_step: r.resumeStep, fork_of: r.forkOf, fork_step: r.forkStep,
    });
    // Run metadata first, so a run's points never show before its name; but
    // a run's end (finished, failed, crashed) only after the set's points, so
    // a reader that waits for a run to end then reads all of it (a script, a
    // live chart's last read) finds every point the end came with. Before the
    // points such a row goes in without its status and finished_ms (a default
    // never overwrites a stored value: reads.ts), after them whole. A set
    // without points stores its rows whole at once.
    const rows = countRows(set.series);
    const ends = rows > 0 ? set.runs.filter((r) => ENDED.has(r.status)) : [];
    if (set.runs.length) {
      await timed('runs', () => this.adapter.insertJson(`${this.db}.run_info`, set.runs.map((r) => runRow(r, !ends.includes(r))), settings));
    }
    if (rows > 0) {
      const series = sortSeries(set.series);
      const points = encodePointsBlock(series);
      // NOTE: the points and the tiers go in concurrently: the engine works
      // off the event loop, on two threads of its own. Both are waited for,
      // even when one fails, so `landed` is complete when write() rejects.
      // Until both are, a count from the tiers can lead the raw points, or
      // trail them (docs/guarantees.md, "When a stored point can be read").
      const settled = await Promise.allSettled([
        timed('points', () => this.adapter.insertNative({ table: `${this.db}.points`, columns: POINT_COLUMNS, payload: points, settings })),
        // The writer's tier; its views fill the coarser ones, and a repeat is dropped at every level.
        timed('tiers', () => this.adapter.insertNative({
          table: `${this.db}.${tierTable(WRITER_TIER)}`, columns: TIER_COLUMNS, payload: encodeTierBlock(series, tiersOf(series, WRITER_TIER)), settings,
        })),
        // The rollup across ranks (rank-block.ts), when the set has points of ranks >= 0.
        timed('ranks', async () => {
          const groups = rankStepsOf(series);
          if (groups.length) await this.adapter.insertNative({ table: `${this.db}.rank_steps`, columns: RANK_STEP_COLUMNS, payload: encodeRankBlock(groups), settings });
        }),
      ]);
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
    }
    if (ends.length) {
      // A block of its own under a token of its own (the first one's would drop it as a repeat).
      await timed('ends', () => this.adapter.insertJson(`${this.db}.run_info`, ends.map((r) => runRow(r, true)), { ...settings, insert_deduplication_token: `${set.token}/ends` }));
    }
    const keyed = set.batches.filter((b) => b.clientId !== '');
    if (keyed.length) {
      await timed('keys', () => this.adapter.insertJson(`${this.db}.batches`, keyed.map((b) => ({
        key: batchKey(b.project, b.run, b.attempt, b.clientId, b.sequence), project: b.project, run: b.run, attempt: b.attempt, client_id: b.clientId,
        sequence: b.sequence, token: set.token, points: b.points, received_ms: b.receivedMs,
      })), settings));
    }
    return { rows, ms };
  }

  close(): Promise<void> {
    this.line.close();
    return this.adapter.close();
  }
}
