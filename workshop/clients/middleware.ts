// The workshop's SDK middleware, added to every client createClient builds:
//   initialize  (high)  "workshopCall"     records the call as the code made it; partial failures
//                                           and SQS's false-empty receive (whole-call faults)
//   build       (high)  "workshopStale"    DynamoDB writes remember the old item (stale reads)
//   deserialize (low)   "workshopAttempt"  one HTTP attempt: latency, throttling, 5xx, timeouts,
//                                           DynamoDB stale reads. It sits below the SDK's retry
//                                           strategy and its deserializer, so a made-up answer is
//                                           parsed, classified and retried like AWS's own.
import { chaos, chaosDecides, CHAOS_LATENCY_MS, nextCallNumber } from "./chaos";
import { ATTEMPT_FAULTS, report, scriptedArmed, takeScripted, type CallSite, type FaultKind, type FaultRule, type FaultSet, type InjectedFault } from "./faults";
import { bufferResponse, errorResponse, jsonResponse, serverErrorAnswer, throttleAnswer, timeoutError } from "./http";
import { chooseWithheld, lastK, PARTIAL_FAILURES } from "./partial";
import { lessonOf, writeLine } from "./journal";
import { copyInput, recordDrop, recordStart, type RecordedCall } from "./recorder";
import { dynamoUnits, resourceEvents } from "./resources";
import * as stale from "./stale";
import { t } from "../i18n";

type Obj = Record<string, unknown>;
// The SDK's middleware types vary by client; these are the parts used here.
type Handler = (args: Obj & { input: Obj; request?: Obj }) => Promise<{ output?: Obj; response?: unknown }>;
type Context = Record<string | symbol, unknown>;
type Middleware = (next: Handler, context: Context) => Handler;
interface Stack {
  add(middleware: Middleware, options: { step: string; name: string; priority?: string; override?: boolean; tags?: string[] }): void;
}

const CALL = Symbol.for("no-toca-boton.call");
const MAX_ATTEMPTS = Symbol.for("no-toca-boton.max-attempts");
const REGION = Symbol.for("no-toca-boton.region");

/** How long an injected timeout waits before failing (the clients' real timeout is 3 s: too slow for a check). */
export const INJECTED_TIMEOUT_MS = 50;

interface CallState {
  call: RecordedCall;
  /** The lesson whose code or tests made the call ("06-sqs"), when known. */
  lesson?: string;
  /** The line of the test file the call came from ("lessons/06-sqs/06-sqs.test.ts:140"). */
  testFrame?: string;
  site: CallSite;
  /** The call's place in the code and its number among the calls made from there (chaos decides by it). */
  n: string;
  /** Attempts that went out (or were answered by an injected fault). */
  attempts: number;
  /** Requests that reached the emulator (what AWS would bill). */
  sent: number;
  /** The call was answered without any request (a false-empty receive, all entries withheld). */
  answeredLocally: boolean;
  staleWrite?: stale.WriteStash;
}

/** Told of every finished call (the cost summary listens here). */
type CallListener = (call: RecordedCall, sent: number, output: Obj | undefined) => void;
const listeners: CallListener[] = [];
export function onCallFinished(listener: CallListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/** Reports an injected fault: to its FaultSet, the listeners, and the run's journal. */
function injected(st: CallState, fault: Omit<InjectedFault, "test" | "lesson">, set?: FaultSet): void {
  const full = report({ ...fault, ...(st.lesson ? { lesson: st.lesson } : {}) }, set, st.testFrame);
  writeLine({ t: "fault", ...full, at: Date.now() });
}

/** The call's line in the run's journal (requests, and resources billed by time). */
function journalCall(st: CallState, output: Obj | undefined, region: string): void {
  const { call } = st;
  const resources = call.ok ? resourceEvents(call.service, call.operation, call.input, output, call.endedAt) : [];
  writeLine({
    t: "call",
    ...(st.lesson ? { lesson: st.lesson } : {}),
    service: call.service,
    operation: call.operation,
    ok: call.ok,
    ...(call.errorName ? { errorName: call.errorName } : {}),
    requests: st.sent,
    startedAt: call.startedAt,
    endedAt: call.endedAt,
    region,
    ...(resources.length ? { resources } : {}),
    ...(call.service === "DynamoDB" && call.ok ? { units: dynamoUnits(call.operation, call.input, output) } : {}),
  });
}

const LESSON_FILE = /[\\/]((?:lessons|solutions)[\\/]\d\d-[^\\/]+[\\/][^:()\s]+?\.ts:\d+)/;

/** Where in a lesson's exercise.ts or solution.ts this call was made, if it was (from the stack). */
function callStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return stack;
}

const LESSON_FRAMES = /[\\/]((?:lessons|solutions)[\\/]\d\d-[^\\/]+[\\/][^:()\s]+?\.ts:\d+)/g;

/**
 * Every frame of a stack in a lesson's folder (its tests included), as "path:line": the call's
 * place in the code, the same from one run to the next whatever the timing.
 */
export function lessonFrames(stack: string): string[] {
  return [...stack.matchAll(LESSON_FRAMES)].map((m) => m[1].split("\\").join("/"));
}

/** The first frame of a stack that is in a lesson's exercise.ts or solution.ts (not its tests). */
export function lessonFrame(stack: string): string | undefined {
  for (const line of stack.split("\n")) {
    const match = LESSON_FILE.exec(line);
    if (match && !/\.test\.ts:/.test(match[1])) return match[1].split("\\").join("/");
  }
  return undefined;
}

function serviceOf(clientName: unknown): string {
  return String(clientName ?? "Unknown").replace(/Client$/, "");
}
function operationOf(commandName: unknown): string {
  return String(commandName ?? "Unknown").replace(/Command$/, "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function requestId(): string {
  return `workshop-chaos-${Math.random().toString(16).slice(2, 10)}`;
}

interface Decision {
  rule?: FaultRule;
  set?: FaultSet;
  roll: (what: string) => number;
  source: "scripted" | "chaos";
}

/** The scripted fault of these kinds waiting for this call, else random chaos's decision. */
function decide(site: CallSite, kinds: readonly FaultKind[], key: string, chaosAllowed: (kind: FaultKind) => boolean): (Decision & { kind: FaultKind }) | undefined {
  const scripted = takeScripted(site, kinds);
  if (scripted) {
    return { kind: scripted.rule.fault, rule: scripted.rule, set: scripted.set, source: "scripted", roll: () => 0.5 };
  }
  for (const kind of kinds) {
    if (!chaosAllowed(kind)) continue;
    const d = chaosDecides(kind, `${site.service}.${site.operation}|${key}`);
    if (d) return { kind, roll: d.roll, source: "chaos" };
  }
  return undefined;
}

/**
 * Random chaos never fails more than MAX_RANDOM_STREAK calls in a row from one place in the code:
 * a correct solution retries a partial failure a bounded number of times (three or more), and a
 * seed must never make that bound look like a bug. Scripted faults are left as the test wrote them.
 */
const MAX_RANDOM_STREAK = 2;
const streaks = new Map<string, number>();
function survivable<D extends { source: string }>(where: string, d: D | undefined): D | undefined {
  if (d?.source !== "chaos") {
    streaks.delete(where);
    return d;
  }
  const streak = (streaks.get(where) ?? 0) + 1;
  if (streak > MAX_RANDOM_STREAK) {
    streaks.delete(where);
    return undefined;
  }
  streaks.set(where, streak);
  return d;
}

function latencyMs(d: Decision): number {
  const ms = d.rule?.ms ?? (d.source === "chaos" ? CHAOS_LATENCY_MS : [50, 400]);
  if (typeof ms === "number") return ms;
  const [min, max] = ms;
  return Math.round(min + (max - min) * (d.source === "chaos" ? d.roll("ms") : Math.random()));
}

const callMiddleware: Middleware = (next, context) => async (args) => {
  const service = serviceOf(context.clientName);
  const operation = operationOf(context.commandName);
  const stack = callStack();
  const where = lessonFrame(stack);
  const lesson = lessonOf(stack);
  const call: RecordedCall = {
    service,
    operation,
    input: copyInput(args.input ?? {}) as Obj,
    ok: false,
    startedAt: Date.now(),
    endedAt: 0,
    attempt: 0,
    fromLesson: where !== undefined,
    ...(where ? { where } : {}),
  };
  const frames = lessonFrames(stack);
  const testFrame = frames.find((f) => /\.test\.ts:/.test(f));
  // Chaos decides by the call's place in the code and how many calls were made from there, not
  // by the order of all calls (which concurrent tests change from run to run).
  const place = frames.join("<");
  const n = `${place}#${nextCallNumber(`${service}.${operation}|${place}`)}`;
  const st: CallState = { call, lesson, testFrame, site: { service, operation, fromLesson: call.fromLesson }, n, attempts: 0, sent: 0, answeredLocally: false };
  context[CALL] = st;
  recordStart(call);
  let output: Obj | undefined;
  try {
    const result = await wholeCallFaults(st, args, next);
    output = result.output;
    call.ok = true;
    return result;
  } catch (err) {
    call.errorName = (err as Error)?.name ?? "Error";
    throw err;
  } finally {
    call.endedAt = Date.now();
    call.attempt = st.attempts;
    // A presigned URL is signed without any request: it is not a call to AWS.
    if (call.ok && st.attempts === 0 && !st.answeredLocally) recordDrop(call);
    else {
      for (const listener of listeners) listener(call, st.sent, output);
      journalCall(st, output, String(context[REGION] ?? ""));
    }
  }
};

/** Faults that hit a whole call: partial failures of batch calls, SQS's false-empty receive. */
async function wholeCallFaults(st: CallState, args: Parameters<Handler>[0], next: Handler): ReturnType<Handler> {
  const { site } = st;
  const key = `${st.n}`;
  const lessonOnly = () => site.fromLesson;

  if (site.service === "SQS" && site.operation === "ReceiveMessage" && !(Number(args.input.WaitTimeSeconds) > 0)) {
    const d = decide(site, ["stale-read"], key, lessonOnly);
    if (d) {
      injected(st, { service: site.service, operation: site.operation, fault: "stale-read", detail: t("clients.fault.detail.falseEmpty"), where: st.call.where, source: d.source }, d.set);
      st.answeredLocally = true;
      return { output: { $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } }, response: {} };
    }
  }

  const partial = PARTIAL_FAILURES[`${site.service}.${site.operation}`];
  const entries = partial?.entries(args.input) ?? [];
  if (partial && entries.length > 0) {
    const d = survivable(st.call.where ?? `${site.service}.${site.operation}`, decide(site, ["partial-failure"], key, lessonOnly));
    if (d) {
      const pick = d.source === "scripted" ? lastK : (n: number, k: number) => chaosPick(n, k, d.roll);
      const count = d.source === "scripted" ? d.rule?.entries : 1 + Math.floor(d.roll("count") * Math.max(1, Math.floor(entries.length / 2)));
      const withheldAt = chooseWithheld(entries.length, count, pick);
      const kept = entries.filter((_, i) => !withheldAt.has(i));
      const withheld = entries.filter((_, i) => withheldAt.has(i));
      injected(st, { service: site.service, operation: site.operation, fault: "partial-failure", detail: t("clients.fault.detail.withheld", { n: withheld.length, total: entries.length }), where: st.call.where, source: d.source }, d.set);
      if (kept.length === 0) {
        st.answeredLocally = true;
        return { output: { $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 }, ...partial.answer(undefined, withheld, args.input) }, response: {} };
      }
      const result = await next({ ...args, input: partial.keep(args.input, kept) });
      return { ...result, output: partial.answer(result.output, withheld, args.input) };
    }
  }
  return next(args);
}

/** k distinct indexes out of n, chosen by the seeded roll. */
function chaosPick(n: number, k: number, roll: (what: string) => number): number[] {
  const indexes = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(roll(`shuffle${i}`) * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j], indexes[i]];
  }
  return indexes.slice(0, k).sort((a, b) => a - b);
}

/** Is a stale read armed, scripted or by random chaos? Then DynamoDB writes remember the old item. */
function staleArmed(site: CallSite): boolean {
  if (["GetItem", "Query", "Scan"].some((operation) => scriptedArmed({ ...site, operation }, ["stale-read"]))) return true;
  return chaos()?.kinds.has("stale-read") ?? false;
}

/** A serialized request's body as text (the JSON protocols give a string or bytes). */
function bodyText(body: unknown): string | undefined {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  return undefined;
}

const staleWriteMiddleware: Middleware = (next, context) => async (args) => {
  const st = context[CALL] as CallState | undefined;
  const request = args.request as { body?: unknown } | undefined;
  const body = bodyText(request?.body);
  if (st && st.site.service === "DynamoDB" && request && body !== undefined) {
    const prepared = stale.prepareRequest(st.site.operation, body, staleArmed(st.site));
    // Changed before signing and before the SDK sets Content-Length (both later in this step or after).
    if (prepared.body !== body) request.body = prepared.body;
    st.staleWrite = prepared.stash;
  }
  return next(args);
};

const attemptMiddleware: Middleware = (next, context) => async (args) => {
  const st = context[CALL] as CallState | undefined;
  if (!st) return next(args);
  st.attempts += 1;
  const attempt = st.attempts;
  const { site } = st;
  const key = `${st.n}|${attempt}`;
  const base = { service: site.service, operation: site.operation, attempt, where: st.call.where };
  // Random chaos fails only a call's first attempt, and never the SDK's last: the call always gets
  // through, after one retry at most (which keeps a chaos check within about twice a plain one).
  const maxAttempts = Number(context[MAX_ATTEMPTS] ?? 3);
  const retryable = (kind: FaultKind) => kind !== "latency" && attempt === 1 && attempt < maxAttempts;

  const slow = decide(site, ["latency"], key, () => true);
  if (slow) {
    const ms = latencyMs(slow);
    injected(st, { ...base, fault: "latency", detail: t("clients.fault.detail.latency", { ms }), source: slow.source }, slow.set);
    await sleep(ms);
  }
  const failing = decide(site, ATTEMPT_FAULTS.filter((k) => k !== "latency"), key, retryable);
  if (failing) {
    if (failing.kind === "timeout") {
      injected(st, { ...base, fault: "timeout", detail: t("clients.fault.detail.timeout", { ms: INJECTED_TIMEOUT_MS }), source: failing.source }, failing.set);
      await sleep(INJECTED_TIMEOUT_MS);
      throw timeoutError(INJECTED_TIMEOUT_MS);
    }
    const answer = failing.kind === "throttle" ? throttleAnswer(site.service) : serverErrorAnswer(site.service);
    injected(st, { ...base, fault: failing.kind, detail: `${answer.status} ${answer.code}`, source: failing.source }, failing.set);
    return { response: errorResponse(site.service, answer, requestId()) };
  }

  if (site.service === "DynamoDB") return dynamoAttempt(st, args, next, base);
  st.sent += 1;
  return next(args);
};

/** DynamoDB's stale reads, and remembering old items for them. */
async function dynamoAttempt(st: CallState, args: Parameters<Handler>[0], next: Handler, base: { service: string; operation: string; attempt: number; where?: string }): ReturnType<Handler> {
  const { site } = st;
  const body = bodyText((args.request as { body?: unknown } | undefined)?.body);
  const read = body !== undefined ? stale.eventualRead(site.operation, body) : undefined;
  const lessonOnly = () => site.fromLesson;
  if (read && site.operation === "GetItem") {
    const old = stale.staleGetItem(read);
    if (old) {
      const d = decide(site, ["stale-read"], `${st.n}`, lessonOnly);
      if (d) {
        injected(st, { ...base, fault: "stale-read", detail: old.detail, source: d.source }, d.set);
        st.sent += 1; // AWS answers (and bills) the read; it is just not up to date.
        return { response: jsonResponse(old.answer, requestId()) };
      }
    }
  }
  st.sent += 1;
  const result = await next(args);
  const response = result.response as Parameters<typeof bufferResponse>[0] | undefined;
  if (!response || !(st.staleWrite || read || ["DescribeTable", "CreateTable"].includes(site.operation))) return result;
  const { text, rebuild } = await bufferResponse(response);
  let out = text;
  stale.learnFromAnswer(site.operation, text);
  const ok = response.statusCode >= 200 && response.statusCode < 300;
  if (st.staleWrite) out = stale.afterWrite(st.staleWrite, text, ok);
  if (read && ok && site.operation !== "GetItem") {
    const changed = stale.staleItems(read, text);
    if (changed) {
      const d = decide(site, ["stale-read"], `${st.n}`, lessonOnly);
      if (d) {
        injected(st, { ...base, fault: "stale-read", detail: changed.detail, source: d.source }, d.set);
        out = changed.text;
      }
    }
  }
  return { ...result, response: rebuild(out) };
}

/** Adds the workshop's middleware to a client built by createClient. */
export function addWorkshopMiddleware(client: unknown, maxAttempts: number, region: string): void {
  const stack = (client as { middlewareStack?: Stack }).middlewareStack;
  if (!stack || typeof stack.add !== "function") return;
  const attempts: Middleware = (next, context) => {
    context[MAX_ATTEMPTS] = maxAttempts;
    context[REGION] = region;
    return callMiddleware(next, context);
  };
  stack.add(attempts, { step: "initialize", name: "workshopCall", priority: "high", override: true });
  stack.add(staleWriteMiddleware, { step: "build", name: "workshopStale", priority: "high", override: true });
  stack.add(attemptMiddleware, { step: "deserialize", name: "workshopAttempt", priority: "low", override: true });
}
