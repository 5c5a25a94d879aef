// The straggler heatmap on a canvas: a row per rank group, a column per step bucket, each cell
// coloured by its value between the map's lowest and highest (blue low, red high), empty cells grey.
import type { RankHeatmap } from '../lineage-ranks-types.js';
import { formatStep } from '../format.js';
import { num } from '../types.js';

const WIDTH = 900, LABEL_PX = 60;
/** Rows are 6-24 px high: a few ranks get rows tall enough to read and label, 256 groups fit in ~1,500 px. */
const MIN_ROW_PX = 6, MAX_ROW_PX = 24, MAP_PX = 160;
/** Height a row label takes: labels are this far apart at least. */
const LABEL_LINE_PX = 12;
/** Step labels under the map: about one per this many px. */
const TICK_PX = 110;

function color(t: number): string {
  const hue = 240 - 240 * Math.max(0, Math.min(1, t));
  return `hsl(${hue} 80% 50%)`;
}

export function drawHeatmap(canvas: HTMLCanvasElement, h: RankHeatmap): void {
  const rows = h.cells.length, cols = h.x.length;
  canvas.width = WIDTH;
  const rowPx = Math.max(MIN_ROW_PX, Math.min(MAX_ROW_PX, Math.floor(MAP_PX / Math.max(1, rows))));
  canvas.height = Math.max(rowPx, rows * rowPx) + 30;
  canvas.dataset['rowPx'] = String(rowPx);
  canvas.dataset['rows'] = String(rows);
  canvas.dataset['cols'] = String(cols);
  canvas.dataset['group'] = String(h.group);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let lo = Infinity, hi = -Infinity;
  for (const row of h.cells) for (const c of row) { const v = num(c); if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  const cw = (WIDTH - LABEL_PX) / Math.max(1, cols);
  ctx.font = '10px system-ui, sans-serif';
  // A label every few rows, never closer than a line of text, at most 16 of them.
  const every = Math.max(Math.ceil(LABEL_LINE_PX / rowPx), Math.ceil(rows / 16));
  ctx.textBaseline = 'middle';
  h.cells.forEach((row, i) => {
    if (i % every === 0) { ctx.fillStyle = '#333'; ctx.fillText(`rank ${h.row_first_rank[i]}`, 2, i * rowPx + rowPx / 2); }
    row.forEach((c, j) => {
      const v = num(c);
      ctx.fillStyle = v === null || !Number.isFinite(v) ? '#ddd' : color(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      ctx.fillRect(LABEL_PX + j * cw, i * rowPx, Math.ceil(cw), rowPx);
    });
  });
  ctx.fillStyle = '#333';
  ctx.textBaseline = 'alphabetic';
  // The first step of a column every ~TICK_PX (columns are the buckets that hold points, so they may skip steps).
  const tickEvery = Math.max(1, Math.round(TICK_PX / cw));
  for (let j = 0; j < cols; j += tickEvery) {
    const at = LABEL_PX + j * cw;
    ctx.fillRect(at, rows * rowPx, 1, 3);
    ctx.fillText(formatStep(h.x[j]!), at + 2, rows * rowPx + 12);
  }
  ctx.fillText(`steps (a column per ${formatStep(h.bucket)} steps); blue ${lo.toPrecision(4)} → red ${hi.toPrecision(4)} (mean per group of ${h.group} rank${h.group > 1 ? 's' : ''})`, LABEL_PX, rows * rowPx + 26);
}
