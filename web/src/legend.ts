// The legend under a chart: each layer's colour, name, and its values at the
// cursor (line, band min–max, NaN/Inf count), or at the last bucket with the cursor away.
import type { ChartModel } from './chart-model.js';
import { formatElapsed, formatStepExact, formatTime, formatValue } from './format.js';

export function renderLegend(el: HTMLElement, m: ChartModel, idx: number | null): void {
  const rows: HTMLElement[] = [];
  const head = document.createElement('div');
  head.className = 'legend-x';
  const i = idx ?? m.x.length - 1;
  const xv = m.x[i];
  head.textContent = xv === undefined ? '' : `${idx === null ? 'last' : 'at'} ${xLabel(m, xv)}${m.xAxis === 'step' ? '' : ` (step ${formatStepExact(m.steps[i] ?? 0)})`}`;
  rows.push(head);
  for (const l of m.layers) {
    const row = document.createElement('div');
    row.className = 'legend-row';
    row.dataset['key'] = l.key;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = l.color;
    const name = document.createElement('span');
    name.className = 'legend-name';
    name.textContent = l.label;
    const val = document.createElement('span');
    val.className = 'legend-value';
    const at = lastIndex(l.line, i, idx !== null);
    const v = at === null ? null : l.line[at] ?? null;
    let text = formatValue(v);
    if (at !== null && l.band) text += `  [${formatValue(l.band.min[at])} – ${formatValue(l.band.max[at])}]`;
    if (at !== null && l.bandRanks) text += `  min rank ${l.bandRanks.min[at] ?? '–'} · max rank ${l.bandRanks.max[at] ?? '–'}`;
    const nf = l.nonfinite?.find((n) => n.index === i);
    if (nf) text += `  ${nf.count}× ${nf.kinds.join('/')}`;
    val.textContent = text;
    row.append(sw, name, val);
    rows.push(row);
  }
  el.replaceChildren(...rows);
}

function xLabel(m: ChartModel, x: number): string {
  if (m.xAxis === 'step') return `step ${formatStepExact(x)}`;
  if (m.xAxis === 'wall') return formatTime(x);
  return `+${formatElapsed(x)}`;
}

/** The bucket to read: `i` itself under the cursor, else the last one at or before it with a value. */
function lastIndex(line: (number | null)[], i: number, exact: boolean): number | null {
  if (exact) return line[i] === null || line[i] === undefined ? null : i;
  for (let j = Math.min(i, line.length - 1); j >= 0; j--) if (line[j] !== null) return j;
  return null;
}
