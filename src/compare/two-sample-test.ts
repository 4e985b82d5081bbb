/**
 * The variation point of `compare`: a two-sample test of NEW against BASE for one cell and metric.
 * One file per variant (rank-test.ts, welch-test.ts); choose-test.ts picks one per cell and
 * metric for `--test auto`.
 */
import type { RatioInterval } from "./significance.js";

export type TestName = "rank" | "welch";
export type TestMode = TestName | "auto";
export const TEST_MODES: readonly TestMode[] = ["auto", "rank", "welch"];

export interface TestOutcome {
  /** Two-sided p-value of "no difference". */
  p: number;
  /** Confidence interval of NEW ÷ BASE; absent when the samples are too small for one. */
  interval?: RatioInterval;
}

export interface TwoSampleTest {
  name: TestName;
  /** The test of `next` against `base` (both with at least two values) and its interval at `confidence`. */
  run(base: readonly number[], next: readonly number[], confidence: number): TestOutcome;
  /**
   * The noise this test sees, as the standard deviation of log(value) pooled over both sides, and
   * the factor its power loses against Welch's t (1 for Welch; √(π/3) for the rank test under
   * normal data: its asymptotic relative efficiency 3/π).
   */
  noise(base: readonly number[], next: readonly number[]): { sigma: number; efficiencyFactor: number };
  /** Whether the test can reach a p-value below `alpha` at all with n against m values. */
  canReach(n: number, m: number, alpha: number): boolean;
}

/** What each --test mode does, in the words every output uses. */
export const TEST_MODE_TEXT: Record<TestMode, string> = {
  auto: "Welch's t on the logs where both sides look log-normal, else Mann-Whitney U (--test auto)",
  welch: "Welch's t on the logs (--test welch)",
  rank: "Mann-Whitney U test (--test rank)",
};
