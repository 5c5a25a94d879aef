// Holds the view and keeps the URL in step with it: every update rewrites
// the query string (history.replaceState), back/forward (popstate) reads it back.
import { parseView, serializeView, type ViewState } from './view-state.js';

export type ViewListener = (view: ViewState, prev: ViewState) => void;

export class ViewStore {
  private view: ViewState;
  private readonly listeners = new Set<ViewListener>();

  constructor() {
    this.view = parseView(location.search);
    addEventListener('popstate', () => this.replace(parseView(location.search), false));
  }

  get(): ViewState { return this.view; }

  /** Changes the view through `edit` on a copy; `push` makes a history entry (back undoes it). */
  update(edit: (draft: ViewState) => void, push = false): void {
    const next = structuredClone(this.view);
    edit(next);
    this.replace(next, true, push);
  }

  subscribe(fn: ViewListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private replace(next: ViewState, writeUrl: boolean, push = false): void {
    const prev = this.view;
    this.view = next;
    if (writeUrl) {
      const url = `${location.pathname}${serializeView(next)}${location.hash}`;
      if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
    }
    for (const fn of this.listeners) fn(next, prev);
  }
}
