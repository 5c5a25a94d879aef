// The straggler heatmap on a canvas: a row per rank group, a column per step bucket, each cell
// coloured by its value between the map's lowest and highest (blue low, red high), empty cells grey.
import type { RankHeatmap } from '../lineage-ranks-types.js';
import { num } from '../types.js';

const ROW_PX = 6, WIDTH = 900, LABEL_PX = 60;

function color(t: number): string {
  const hue = 240 - 240 * Math.max(0, Math.min(1, t));
  return `hsl(${hue} 80% 50%)`;
}

export function drawHeatmap(canvas: HTMLCanvasElement, h: RankHeatmap): void {
  const rows = h.cells.length, cols = h.x.length;
  canvas.width = WIDTH;
  canvas.height = Math.max(ROW_PX, rows * ROW_PX) + 16;
  canvas.dataset['rows'] = String(rows);
  canvas.dataset['cols'] = String(cols);
  canvas.dataset['group'] = String(h.group);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let lo = Infinity, hi = -Infinity;
  for (const row of h.cells) for (const c of row) { const v = num(c); if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  const cw = (WIDTH - LABEL_PX) / Math.max(1, cols);
  ctx.font = '10px system-ui, sans-serif';
  h.cells.forEach((row, i) => {
    if (i % Math.ceil(rows / 8) === 0) { ctx.fillStyle = '#333'; ctx.fillText(`rank ${h.row_first_rank[i]}`, 2, i * ROW_PX + ROW_PX); }
    row.forEach((c, j) => {
      const v = num(c);
      ctx.fillStyle = v === null || !Number.isFinite(v) ? '#ddd' : color(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      ctx.fillRect(LABEL_PX + j * cw, i * ROW_PX, Math.ceil(cw), ROW_PX);
    });
  });
  ctx.fillStyle = '#333';
  ctx.fillText(`step ${h.x[0] ?? ''} … ${h.x.at(-1) ?? ''}; blue ${lo.toPrecision(4)} → red ${hi.toPrecision(4)} (mean per group of ${h.group} rank${h.group > 1 ? 's' : ''})`, LABEL_PX, rows * ROW_PX + 12);
}
