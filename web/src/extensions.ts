// Where more of the dashboard plugs in: panel sources (a per-rank metric's band across ranks),
// decorators (restart marks, a fork's parent part, superseded attempts), and page sections (the
// rank picker and straggler heatmap, the lineage toggle). main.ts calls this once, before the
// first view is drawn; the live view starts once the grid exists (live.ts).
import { LineageCache, LineageDecorator } from './lineage-decorator.js';
import { LineageSection } from './lineage-section.js';
import { LiveSeriesSource } from './live-source.js';
import { RankSection } from './ranks/rank-section.js';
import { RankSource } from './ranks/rank-source.js';
import type { Registry } from './registry.js';
import type { ViewStore } from './view-store.js';

/** The lineage cache the decorator, the section and the live view share. */
export const lineageCache = new LineageCache();

export function registerExtensions(registry: Registry, store: ViewStore): void {
  registry.registerSource(new LiveSeriesSource()); // claims what the default SeriesSource would, as a model that can grow
  registry.registerSource(new RankSource());
  registry.registerDecorator(new LineageDecorator(lineageCache));
  registry.registerSection(new RankSection(store));
  registry.registerSection(new LineageSection(store, lineageCache));
}
