// Random chaos for a whole run: WORKSHOP_CHAOS=1 (a random seed, printed) or WORKSHOP_CHAOS=<seed>
// (the same faults again). It only injects what a correct solution must survive:
//   - throttling, 5xx answers and timeouts on a call's first attempt only, which the SDK retries
//     (the workshop's clients make 3 attempts with the standard retry mode),
//   - small latency (so a chaos check stays within about twice a plain one),
//   - partial failures on batch calls made by the lesson's code, and
//   - stale reads for the lesson's reads that did not ask for consistency.
// Faults never hit the test's own fixture calls except in ways the SDK retries by itself.
//
// Each decision is a hash of the seed, the operation, how many calls of it this process made
// and the attempt, not a shared random stream: concurrent calls or another worker's timing do not
// change which faults a seed gives.
import type { FaultKind } from "./faults";
import { t } from "../i18n/index.ts";

export interface ChaosConfig {
  seed: number;
  kinds: ReadonlySet<FaultKind>;
}

/**
 * Fault kinds that random chaos leaves out until every reference solution survives them; empty
 * now that every solution handles partial failures and stale reads (measured 2026-12-02 with
 * seeds 7, 99 and 20250715). `WORKSHOP_CHAOS_KINDS` chooses the kinds for one run ("all", or a
 * list such as "latency,throttle,partial-failure").
 */
export const GATED_KINDS: readonly FaultKind[] = [];

export const CHAOS_KINDS: readonly FaultKind[] = ["latency", "throttle", "server-error", "timeout", "partial-failure", "stale-read"];

/** How often each kind is injected, per attempt or per eligible call. */
export const CHAOS_RATES: Record<FaultKind, number> = {
  latency: 0.2,
  // A throttled attempt waits longest (the SDK's backoff for throttling starts at 500 ms): rarer.
  throttle: 0.008,
  "server-error": 0.03,
  timeout: 0.02,
  "partial-failure": 0.5,
  "stale-read": 0.5,
};
/** Random latency, in milliseconds. */
export const CHAOS_LATENCY_MS: [number, number] = [5, 25];

/** The seed npm test uses for its run of every solution under chaos. */
export const FIXED_TEST_SEED = 20250715;

export function parseChaos(value: string | undefined, kindsValue?: string): ChaosConfig | undefined {
  if (value === undefined || value === "" || value === "0" || value.toLowerCase() === "false") return undefined;
  let seed: number;
  if (value === "1" || value.toLowerCase() === "true") seed = Math.floor(Math.random() * 1_000_000) + 2;
  else if (/^\d+$/.test(value)) seed = Number(value);
  else throw new Error(t("clients.chaos.badSeed", { value }));
  return { seed, kinds: parseKinds(kindsValue) };
}

export function parseKinds(value: string | undefined): ReadonlySet<FaultKind> {
  if (!value) return new Set(CHAOS_KINDS.filter((k) => !GATED_KINDS.includes(k)));
  if (value === "all") return new Set(CHAOS_KINDS);
  const kinds = value.split(",").map((k) => k.trim()) as FaultKind[];
  for (const k of kinds) {
    if (!CHAOS_KINDS.includes(k)) throw new Error(t("clients.chaos.badKind", { kind: k, kinds: CHAOS_KINDS.join(", ") }));
  }
  return new Set(kinds);
}

let config: ChaosConfig | undefined | null = null;

/**
 * The run's chaos, read once from the environment. A random seed is written back into
 * WORKSHOP_CHAOS, so that child processes replay the same one.
 */
export function chaos(env: NodeJS.ProcessEnv = process.env): ChaosConfig | undefined {
  if (config === null) {
    config = parseChaos(env.WORKSHOP_CHAOS, env.WORKSHOP_CHAOS_KINDS);
    if (config) env.WORKSHOP_CHAOS = String(config.seed);
  }
  return config;
}

/** For the harness's own tests: set or drop the run's chaos. */
export function setChaos(value: ChaosConfig | undefined): void {
  config = value;
}

/** A number in [0, 1) from the seed and a key: the same pair always gives the same number. */
export function chance(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix (from mulberry32) so that nearby keys give unrelated numbers.
  h = Math.imul(h ^ (h >>> 15), h | 1);
  h ^= h + Math.imul(h ^ (h >>> 7), h | 61);
  return ((h ^ (h >>> 14)) >>> 0) / 4294967296;
}

const calls = new Map<string, number>();
/** Numbers the calls of one operation in this process: 1, 2, 3… */
export function nextCallNumber(operation: string): number {
  const n = (calls.get(operation) ?? 0) + 1;
  calls.set(operation, n);
  return n;
}

/** Does the run's chaos inject `kind` at this point? `key` names the point (operation, call, attempt). */
export function chaosDecides(kind: FaultKind, key: string): { roll: (what: string) => number } | undefined {
  const c = chaos();
  if (!c || !c.kinds.has(kind)) return undefined;
  if (chance(c.seed, `${kind}|${key}`) >= CHAOS_RATES[kind]) return undefined;
  return { roll: (what) => chance(c.seed, `${kind}|${key}|${what}`) };
}
