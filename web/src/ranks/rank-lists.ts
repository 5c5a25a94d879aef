// The entries of the ranks section's lists: the top-k ranks by mean and the stragglers.
import type { RankFigures, Stragglers } from '../lineage-ranks-types.js';
import { formatValue } from '../format.js';
import { num } from '../types.js';

export const TOP_K = 5;

function item(rank: number, text: string, pick: (rank: number) => void): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset['rank'] = String(rank);
  const a = document.createElement('a');
  a.href = '#';
  a.textContent = `rank ${rank}`;
  a.addEventListener('click', (e) => { e.preventDefault(); pick(rank); });
  li.append(a, ` ${text}`);
  return li;
}

export function rankItem(r: RankFigures, pick: (rank: number) => void): HTMLLIElement {
  return item(r.rank, `mean ${formatValue(num(r.mean))}, max ${formatValue(num(r.max))}, last step ${r.last_step}`, pick);
}

export function stragglerItem(r: Stragglers['ranks'][number], s: Stragglers, pick: (rank: number) => void): HTMLLIElement {
  const score = r.score === null ? 'MAD 0' : `score ${r.score.toFixed(1)}`;
  return item(r.rank, `${score}: mean ${formatValue(r.mean)} against a median of ${formatValue(s.median)}`, pick);
}
