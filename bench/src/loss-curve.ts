// A synthetic training loss, deterministic from a seed, generated chunk by chunk.

/** Deterministic uniform [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first step of a curve's stretch of 40 NaN. */
export const nanStretchStart = (steps: number) => Math.floor(steps * 0.6) + 7;

/**
 * A training loss: short warm-up, power-law decay to a floor, multiplicative
 * noise, rare loss spikes that decay, and a few NaN/±Inf (isolated, plus one
 * stretch of 40 NaN, as after a bad batch). Generated chunk by chunk, in order.
 */
export class LossCurve {
  private readonly rand: () => number;
  private spike = 0;
  private spare = NaN;
  readonly nonfinite = new Map<number, number>();

  constructor(readonly steps: number, seed: number, private readonly floor: number, private readonly scale: number, private readonly alpha: number) {
    this.rand = rng(seed);
    const r = rng(seed ^ 0x5eed);
    const put = (v: number) => this.nonfinite.set(Math.floor(r() * steps), v);
    for (let i = 0; i < 5; i++) put(NaN);
    put(Infinity); put(Infinity); put(-Infinity);
    const stretch = nanStretchStart(steps);
    for (let i = 0; i < 40; i++) this.nonfinite.set(stretch + i, NaN);
  }

  private gauss(): number {
    if (!Number.isNaN(this.spare)) { const s = this.spare; this.spare = NaN; return s; }
    const u = 1 - this.rand(), v = this.rand();
    const m = Math.sqrt(-2 * Math.log(u));
    this.spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  }

  chunk(from: number, n: number): { steps: Float64Array; values: Float64Array } {
    const steps = new Float64Array(n), values = new Float64Array(n);
    const tau = this.steps / 2000, warm = this.steps / 500;
    for (let i = 0; i < n; i++) {
      const s = from + i;
      if (this.rand() < 2e-6) this.spike = 0.5 + this.rand() * 2;
      this.spike *= 0.995;
      const base = this.floor + this.scale * Math.pow(1 + s / tau, -this.alpha) * (s < warm ? 0.7 + 0.3 * (s / warm) : 1);
      steps[i] = s;
      values[i] = this.nonfinite.get(s) ?? base * (1 + 0.03 * this.gauss() + this.spike);
    }
    return { steps, values };
  }
}
