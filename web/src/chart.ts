// One uPlot chart for one panel: draws a ChartModel (columnar arrays as
// they are), the min–max band of each layer, markers where buckets hold
// NaN/±Inf, vertical marks; its cursor is synced with every other chart;
// a drag asks for a zoom (the panel re-fetches), a double-click for a reset.
// Charts never fetch: setModel() redraws in place when the layers are the same.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartModel } from './chart-model.js';
import { formatElapsed, formatStep, formatValue } from './format.js';
import { renderLegend } from './legend.js';

export const CURSOR_SYNC_KEY = 'stepstream';
const HEIGHT = 220;
/** CSS px above the plot for the vertical marks' labels. */
const LABEL_STRIP = 14;

export interface ChartEvents {
  /** A drag over [a, b) in the axis' units (the panel maps them to steps). */
  onZoom(a: number, b: number): void;
  onReset(): void;
  /** After each draw of the canvas (the page marks it: performance mark 'stepstream:chart-drawn'). */
  onDrawn?(): void;
}

export class Chart {
  private plot: uPlot | null = null;
  private model: ChartModel | null = null;
  private shape = '';
  private readonly plotEl: HTMLDivElement;
  private readonly legendEl: HTMLDivElement;
  private readonly resize: ResizeObserver;

  constructor(private readonly host: HTMLElement, private readonly events: ChartEvents, private readonly logY: () => boolean) {
    this.plotEl = document.createElement('div');
    this.plotEl.className = 'plot';
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'legend';
    host.append(this.plotEl, this.legendEl);
    this.resize = new ResizeObserver(() => { if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT }); });
    this.resize.observe(host);
  }

  /** The model drawn now (tests read it through window.__stepstream). */
  get current(): ChartModel | null { return this.model; }

  /** The y range drawn (a test checks a spike is inside it). */
  get yRange(): [number, number] | null {
    const y = this.plot?.scales['y'];
    return y && y.min !== undefined && y.max !== undefined && y.min !== null && y.max !== null ? [y.min, y.max] : null;
  }

  setModel(model: ChartModel): void {
    this.model = model;
    const shape = `${model.xAxis}|${this.logY()}|${model.layers.map((l) => `${l.key}:${l.band ? 1 : 0}`).join(',')}`;
    const data = toData(model);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data, true);
    } else {
      this.plot?.destroy();
      this.shape = shape;
      this.plot = new uPlot(this.options(model), data, this.plotEl);
      this.plot.over.addEventListener('dblclick', () => this.events.onReset());
    }
    renderLegend(this.legendEl, model, null);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
    this.host.replaceChildren();
  }

  private width(): number { return Math.max(200, this.host.clientWidth - 8); }

  private options(model: ChartModel): uPlot.Options {
    const series: uPlot.Series[] = [{ label: model.xAxis === 'step' ? 'step' : 'time' }];
    const bands: uPlot.Band[] = [];
    const gaps = model.xAxis !== 'step';
    for (const l of model.layers) {
      const line = series.length;
      series.push({ label: l.label, stroke: l.color, width: 1.5, spanGaps: gaps, ...(l.dash ? { dash: l.dash } : {}), points: { show: false } });
      if (l.band) {
        // NOTE: the band's edges are drawn as thin lines too, so a one-bucket spike shows even where the fill is a sliver.
        const edge = { stroke: withAlpha(l.color, 0.45), width: 1, spanGaps: gaps, points: { show: false } };
        series.push({ label: `${l.label} min`, ...edge }, { label: `${l.label} max`, ...edge });
        bands.push({ series: [line + 2, line + 1], fill: withAlpha(l.color, 0.16) });
      }
    }
    const time = model.xAxis === 'wall';
    return {
      width: this.width(), height: HEIGHT, series, bands, ms: 1, padding: [LABEL_STRIP, null, null, null],
      legend: { show: false },
      cursor: { sync: { key: CURSOR_SYNC_KEY, setSeries: false }, drag: { x: true, y: false, setScale: false }, points: { show: false } },
      scales: {
        x: { time, range: (_u, min, max) => this.model?.xRange ?? [min, max] },
        y: this.logY() ? { distr: 3 } : { range: (_u, min, max) => padRange(min, max) },
      },
      axes: [
        time ? {} : { values: (_u, ticks) => ticks.map((t) => (model.xAxis === 'step' ? formatStep(t) : formatElapsed(t))) },
        { size: 64, values: (_u, ticks) => ticks.map((t) => formatValue(t, 3)) },
      ],
      hooks: {
        setSelect: [(u) => {
          const { left, width } = u.select;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          if (width < 3) return;
          this.events.onZoom(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
        }],
        setCursor: [(u) => { if (this.model) renderLegend(this.legendEl, this.model, u.cursor.idx ?? null); }],
        draw: [(u) => { if (this.model) drawMarks(u, this.model); this.events.onDrawn?.(); }],
      },
    };
  }
}

function toData(m: ChartModel): uPlot.AlignedData {
  const cols: (number | null)[][] = [];
  for (const l of m.layers) {
    cols.push(l.line);
    if (l.band) cols.push(l.band.min, l.band.max);
  }
  return [m.x, ...cols] as uPlot.AlignedData;
}

/** Red marks where buckets hold NaN/±Inf (top edge; -Inf at the bottom), and the vertical marks. */
function drawMarks(u: uPlot, m: ChartModel): void {
  const ctx = u.ctx, { top, height } = u.bbox, dpr = devicePixelRatio || 1;
  ctx.save();
  for (const l of m.layers) {
    for (const nf of l.nonfinite ?? []) {
      const x = u.valToPos(m.x[nf.index]!, 'x', true);
      const bottom = nf.kinds.length === 1 && nf.kinds[0] === '-Inf';
      const y = bottom ? top + height : top;
      const s = 5 * dpr, dir = bottom ? -1 : 1;
      ctx.fillStyle = '#e00000';
      ctx.beginPath();
      ctx.moveTo(x - s, y); ctx.lineTo(x + s, y); ctx.lineTo(x, y + dir * s * 1.6); ctx.closePath();
      ctx.fill();
    }
  }
  // The labels go in the strip above the plot (LABEL_STRIP), left to right: the whole label where it
  // fits before the next, else its short form, else none (the dashed line is always drawn).
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  const right = u.bbox.left + u.bbox.width;
  let free = -Infinity;
  const marks = m.verticals.map((v) => ({ v, x: u.valToPos(v.x, 'x', true) }))
    .filter(({ x }) => x >= u.bbox.left - 1 && x <= right + 1).sort((a, b) => a.x - b.x);
  marks.forEach(({ v, x }, i) => {
    const next = marks[i + 1]?.x ?? Infinity;
    ctx.strokeStyle = v.color;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
    const place = (text: string) => {
      const w = ctx.measureText(text).width, at = x + 3 * dpr + w > right ? x - 3 * dpr - w : x + 3 * dpr;
      return at >= free && (at < x || at + w < next) ? { text, at, w } : null;
    };
    const label = place(v.label) ?? place(v.short);
    if (!label) return;
    ctx.fillStyle = v.color;
    ctx.fillText(label.text, label.at, top - 3 * dpr);
    free = label.at + label.w + 6 * dpr;
  });
  ctx.restore();
}

function padRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  if (min === max) return [min - (Math.abs(min) || 1) * 0.05, max + (Math.abs(max) || 1) * 0.05];
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

/** The same hue, dark: a dashed line drawn over a line of `color` stays visible where the two coincide. */
export function darker(color: string): string {
  const hsl = /^hsl\((\S+) (\S+) (\S+)\)$/.exec(color);
  return hsl ? `hsl(${hsl[1]} ${hsl[2]} 22%)` : '#333333';
}

export function withAlpha(color: string, alpha: number): string {
  if (color.startsWith('#') && color.length === 7) return color + Math.round(alpha * 255).toString(16).padStart(2, '0');
  if (color.startsWith('hsl(')) return color.replace(')', ` / ${alpha})`);
  return color;
}
