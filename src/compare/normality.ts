/**
 * The checks `--test auto` makes before it trusts Welch's t on the logarithms: the Shapiro-Wilk
 * test of normality (Royston's 1995 algorithm AS R94, the one R and SciPy use; valid for 3 to
 * 5000 values) and a robust outlier rule (median ± k·MAD, with k set for the sample size). No maintained
 * JavaScript package offers Shapiro-Wilk, so it is written here from the published algorithm.
 */
import probit from "@stdlib/stats-base-dists-normal-quantile";
import { errorFunction, median } from "simple-statistics";

/** Shapiro-Wilk is defined for 3 … 5000 values; outside that range the check is not made. */
export const SHAPIRO_WILK_MIN = 3;
export const SHAPIRO_WILK_MAX = 5000;

/** c0 + c1·x + c2·x² + … */
const poly = (coefficients: readonly number[], x: number) => coefficients.reduceRight((sum, c) => sum * x + c, 0);

const normalUpperTail = (z: number) => (1 - errorFunction(z / Math.SQRT2)) / 2;

const computed = new Map<number, number[]>();

/** Royston's coefficients a₁ … a_{n/2} (the upper half; the lower half is their negation); once per n. */
function coefficients(n: number): number[] {
  let a = computed.get(n);
  if (!a) {
    a = royston(n);
    computed.set(n, a);
  }
  return a;
}

function royston(n: number): number[] {
  const half = Math.floor(n / 2);
  if (n === 3) return [Math.SQRT1_2];
  const m = Array.from({ length: half }, (_, i) => probit((i + 1 - 0.375) / (n + 0.25), 0, 1));
  const summ2 = 2 * m.reduce((sum, v) => sum + v * v, 0);
  const ssumm2 = Math.sqrt(summ2);
  const rsn = 1 / Math.sqrt(n);
  const a1 = poly([0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056], rsn) - m[0]! / ssumm2;
  const a = new Array<number>(half);
  a[0] = a1;
  let first = 1;
  let fac: number;
  if (n > 5) {
    const a2 = -m[1]! / ssumm2 + poly([0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633], rsn);
    fac = Math.sqrt((summ2 - 2 * m[0]! ** 2 - 2 * m[1]! ** 2) / (1 - 2 * a1 ** 2 - 2 * a2 ** 2));
    a[1] = a2;
    first = 2;
  } else {
    fac = Math.sqrt((summ2 - 2 * m[0]! ** 2) / (1 - 2 * a1 ** 2));
  }
  for (let i = first; i < half; i++) a[i] = -m[i]! / fac;
  return a;
}

export interface ShapiroWilk {
  w: number;
  /** P-value of "these values come from a normal distribution". */
  p: number;
}

/** Shapiro-Wilk W and its p-value; undefined outside 3 … 5000 values or when all values are equal. */
export function shapiroWilk(values: readonly number[]): ShapiroWilk | undefined {
  const n = values.length;
  if (n < SHAPIRO_WILK_MIN || n > SHAPIRO_WILK_MAX) return undefined;
  const x = [...values].sort((p, q) => p - q);
  const mean = x.reduce((sum, v) => sum + v, 0) / n;
  const ss = x.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  if (!(ss > 0) || !(x[n - 1]! - x[0]! > 1e-19 * Math.max(1, Math.abs(mean)))) return undefined;
  const a = coefficients(n);
  const numerator = a.reduce((sum, ai, i) => sum + ai * (x[n - 1 - i]! - x[i]!), 0);
  const w = Math.min(1, (numerator * numerator) / ss);
  if (n === 3) {
    const p = (6 / Math.PI) * (Math.asin(Math.sqrt(w)) - Math.PI / 3);
    return { w, p: Math.min(1, Math.max(0, p)) };
  }
  let y = Math.log(1 - w);
  let mu: number;
  let sigma: number;
  if (n <= 11) {
    const gamma = poly([-2.273, 0.459], n);
    if (y >= gamma) return { w, p: 1e-99 };
    y = -Math.log(gamma - y);
    mu = poly([0.544, -0.39978, 0.025054, -6.714e-4], n);
    sigma = Math.exp(poly([1.3822, -0.77857, 0.062767, -0.0020322], n));
  } else {
    const ln = Math.log(n);
    mu = poly([-1.5861, -0.31082, -0.083751, 0.0038915], ln);
    sigma = Math.exp(poly([-0.4803, -0.082676, 0.0030302], ln));
  }
  return { w, p: normalUpperTail((y - mu) / sigma) };
}

/** Share of normal samples the outlier rule may call wild. */
export const OUTLIER_FALSE_RATE = 0.01;
const SIMULATED_MAX = 50;
const SIMULATIONS = 10_000;

const modifiedZs = (values: readonly number[]) => {
  const center = median([...values]);
  const mad = median(values.map((v) => Math.abs(v - center)));
  return values.map((v) => (mad === 0 ? (v === center ? 0 : Number.POSITIVE_INFINITY) : (0.6745 * Math.abs(v - center)) / mad));
};

const limits = new Map<number, number>();

/**
 * The modified z-score (0.6745·|x − median| / MAD) beyond which one of n values is an outlier:
 * the 99th percentile of the largest score in normal samples of n, so that one normal sample in a
 * hundred is called wild. The fixed 3.5 of Iglewicz & Hoaglin is far too eager for a handful of
 * values (the MAD of 5 values is itself noisy: about one normal sample in seven would trip it).
 * Up to 50 values the percentile comes from 10,000 seeded normal samples (once per n, a few
 * milliseconds); beyond, the Bonferroni normal quantile probit(1 − 0.01 / 2n), widened by
 * 1 + 2.6/√n for the MAD's own noise (the factor that meets the simulated limit at n = 50).
 */
export function outlierLimit(n: number): number {
  let limit = limits.get(n);
  if (limit !== undefined) return limit;
  if (n > SIMULATED_MAX) {
    limit = probit(1 - OUTLIER_FALSE_RATE / (2 * n), 0, 1) * (1 + 2.6 / Math.sqrt(n));
  } else {
    let seed = 0x9e3779b9 ^ n;
    const uniform = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed + 0.5) / 4294967296;
    };
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const largest = Array.from({ length: SIMULATIONS }, () => Math.max(...modifiedZs(Array.from({ length: n }, normal))));
    largest.sort((a, b) => a - b);
    limit = largest[Math.floor((1 - OUTLIER_FALSE_RATE) * SIMULATIONS)]!;
  }
  limits.set(n, limit);
  return limit;
}

/** Values whose modified z-score exceeds outlierLimit(n); with a MAD of zero, every value off the median. */
export function outliers(values: readonly number[]): number[] {
  if (values.length < 3) return [];
  const limit = outlierLimit(values.length);
  const scores = modifiedZs(values);
  return values.filter((_, i) => scores[i]! > limit);
}
