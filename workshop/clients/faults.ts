// "Todo puede fallar": which faults the workshop's middleware injects, and the record of what it
// injected. Scripted faults come from a lesson's tests (injectFaults in workshop/testing.ts);
// random chaos comes from WORKSHOP_CHAOS (see chaos.ts). Module state, one per test file's process.
import { t } from "../i18n";

export type FaultKind = "throttle" | "server-error" | "timeout" | "latency" | "partial-failure" | "stale-read";
export const FAULT_KINDS: readonly FaultKind[] = ["throttle", "server-error", "timeout", "latency", "partial-failure", "stale-read"];

/** Faults that hit one HTTP attempt (the SDK's retry strategy sees them); the rest hit one call. */
export const ATTEMPT_FAULTS: readonly FaultKind[] = ["throttle", "server-error", "timeout", "latency"];

export interface FaultRule {
  /** The service as its client is named without "Client": "S3", "SQS", "DynamoDB", "EC2". Any if omitted. */
  service?: string;
  /** The operation as AWS names it: "PutObject", "SendMessageBatch". Any if omitted. */
  operation?: string;
  fault: FaultKind;
  /**
   * How many times to inject it (default: every time until cleared). Throttle, server-error,
   * timeout and latency count HTTP attempts (the SDK makes up to 3 per call: `times: 3` makes
   * a call fail for good); partial-failure and stale-read count calls.
   */
  times?: number;
  /** latency: the delay, fixed or a [min, max] range in milliseconds (default [50, 400]). */
  ms?: number | [number, number];
  /** partial-failure: how many entries to withhold (default: half of them, at least one). */
  entries?: number;
  /**
   * Only calls made from the lesson's code (exercise.ts or solution.ts) or only the test's own
   * calls. Default "any".
   */
  from?: "lesson" | "test" | "any";
}

export interface InjectedFault {
  service: string;
  operation: string;
  fault: FaultKind;
  /** The HTTP attempt it hit (1 = the first), for attempt faults. */
  attempt?: number;
  /** What exactly: "503 SlowDown", "withheld 2 of 5 entries", "120 ms". */
  detail: string;
  /** Where the call came from: "solutions/06-sqs/solution.ts:42", when made by lesson code. */
  where?: string;
  /** The test that was running, or (when tests run concurrently) the test file's line the call came from. */
  test?: string;
  /** The lesson whose code or tests made the call ("06-sqs"), when known. */
  lesson?: string;
  /** "scripted" (injectFaults) or "chaos" (WORKSHOP_CHAOS). */
  source: "scripted" | "chaos";
}

interface ActiveRule {
  rule: FaultRule;
  left: number;
  set: FaultSet;
}

/** A set of scripted faults, as returned by injectFaults. */
export class FaultSet {
  readonly injected: InjectedFault[] = [];
  constructor(readonly rules: readonly FaultRule[]) {}
  /** Stops injecting this set's faults. */
  clear(): void {
    state.rules = state.rules.filter((r) => r.set !== this);
  }
}

interface State {
  rules: ActiveRule[];
  /** Listeners told of every fault injected (the chaos report, the recorder). */
  listeners: Array<(fault: InjectedFault) => void>;
  currentTest?: string;
}
const state: State = { rules: [], listeners: [] };

export function validateRule(rule: FaultRule): void {
  if (!FAULT_KINDS.includes(rule.fault)) {
    throw new Error(t("clients.fault.unknown", { fault: String(rule.fault), kinds: FAULT_KINDS.join(", ") }));
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error(t("clients.fault.badTimes", { times: String(rule.times) }));
  }
}

/** Starts injecting these faults (scripted, deterministic). */
export function addFaults(rules: FaultRule[]): FaultSet {
  rules.forEach(validateRule);
  const set = new FaultSet(rules);
  for (const rule of rules) state.rules.push({ rule, left: rule.times ?? Infinity, set });
  return set;
}

export function clearAllFaults(): void {
  state.rules = [];
}

/** The test now running, named in the report of injected faults (set by workshop/testing.ts). */
export function setCurrentTest(name: string | undefined): void {
  state.currentTest = name;
}
export function currentTest(): string | undefined {
  return state.currentTest;
}

export function onFaultInjected(listener: (fault: InjectedFault) => void): () => void {
  state.listeners.push(listener);
  return () => {
    state.listeners = state.listeners.filter((l) => l !== listener);
  };
}

export interface CallSite {
  service: string;
  operation: string;
  fromLesson: boolean;
}

function matches(rule: FaultRule, call: CallSite): boolean {
  if (rule.service !== undefined && rule.service.toLowerCase() !== call.service.toLowerCase()) return false;
  if (rule.operation !== undefined && rule.operation !== call.operation) return false;
  if (rule.from === "lesson" && !call.fromLesson) return false;
  if (rule.from === "test" && call.fromLesson) return false;
  return true;
}

/** Is a scripted fault of one of these kinds waiting for this call? Does not consume it. */
export function scriptedArmed(call: CallSite, kinds: readonly FaultKind[]): boolean {
  return state.rules.some((r) => r.left > 0 && kinds.includes(r.rule.fault) && matches(r.rule, call));
}

/** Takes the first scripted fault of these kinds that matches the call (consuming one of its times). */
export function takeScripted(call: CallSite, kinds: readonly FaultKind[]): { rule: FaultRule; set: FaultSet } | undefined {
  const active = state.rules.find((r) => r.left > 0 && kinds.includes(r.rule.fault) && matches(r.rule, call));
  if (!active) return undefined;
  active.left -= 1;
  return { rule: active.rule, set: active.set };
}

/** Records an injected fault in its set (if scripted) and tells the listeners. */
export function report(fault: Omit<InjectedFault, "test">, set?: FaultSet, testFrame?: string): InjectedFault {
  const test = state.currentTest ?? testFrame;
  const full: InjectedFault = { ...fault, ...(test ? { test } : {}) };
  set?.injected.push(full);
  for (const listener of state.listeners) listener(full);
  return full;
}

/** A fault's one-line description: `SQS.SendMessageBatch partial-failure (withheld 2 of 5 entries)`. */
export function describeFault(f: InjectedFault): string {
  const vars = { service: f.service, operation: f.operation, fault: f.fault, detail: f.detail, attempt: f.attempt ?? "" };
  const line = t(f.attempt !== undefined ? "clients.fault.lineAttempt" : "clients.fault.line", vars);
  return f.where ? t("clients.fault.from", { fault: line, where: f.where }) : line;
}

/** The same, with the test that was running: `… · in "step 3 > sends in batches"`. */
export function describeFaultInTest(f: InjectedFault): string {
  return f.test ? t("clients.fault.inTest", { fault: describeFault(f), test: f.test }) : describeFault(f);
}
