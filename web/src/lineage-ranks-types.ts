// The shapes of the lineage and cross-rank reads (docs/api.md), as the dashboard uses them.
import type { Wire } from './types.js';

export interface Lineage {
  run: string;
  fork_of: { run: string; step: number } | null;
  cut: null | 'loop' | 'too deep';
  attempts: { attempt: number; start_step: number; first_step: number | null; last_step: number | null; points: number }[];
  /** The effective history in step order: [from, to) owned by (run, attempt); the last has to: null. */
  segments: { run: string; attempt: number; from: number; to: number | null }[];
}

export interface RangeQuery { metric: string; from?: number; to?: number; points?: number }

export interface RankBand {
  metric: string; from: number; to: number; bucket: number;
  x: number[]; min: Wire[]; max: Wire[]; mean: Wire[]; count: number[]; nonfinite: number[];
  min_rank: (number | null)[]; max_rank: (number | null)[]; ranks: number[];
}

export interface RankHeatmap { metric: string; bucket: number; group: number; x: number[]; row_first_rank: number[]; cells: (Wire)[][] }

export interface RankFigures { rank: number; first_step: number; last_step: number; count: number; nonfinite: number; last: Wire; min: Wire; max: Wire; mean: Wire }
export interface RankList { metric: string; ranks: RankFigures[] }

export interface Stragglers { metric: string; median: number | null; mad: number | null; ranks: { rank: number; mean: number; score: number | null }[] }
