// Values as the JSON answers carry them.

/** JSON has no NaN or infinities: they travel as the strings "NaN", "Infinity", "-Infinity". */
export function jnum(v: number): number | string {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}
