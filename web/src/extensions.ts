// Where more of the dashboard plugs in: register panel sources (a per-rank
// metric's band across ranks), decorators (restart marks, a fork's parent
// part), and page sections (a rank picker, the straggler heatmap) here.
// main.ts calls this once, before the first view is drawn.
import type { Registry } from './registry.js';

export function registerExtensions(_registry: Registry): void {
  // Nothing yet: the default SeriesSource draws every panel.
}
