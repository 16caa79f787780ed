// What a lesson's tests import. The one switch between the attendee's exercise and the
// reference solution lives here: LESSON_TARGET=exercise (the default) or LESSON_TARGET=solution.
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, beforeEach, onTestFinished } from "vitest";
import { addFaults, clearAllFaults, setCurrentTest, type FaultRule, type FaultSet } from "./clients/faults";
import { startRecording, type Recording } from "./clients/recorder";
import { setLessonScope } from "./clients/journal";
import { forgetWrites } from "./clients/stale";
import { findLesson } from "./lessons";
import { t } from "./i18n";

export type LessonTarget = "exercise" | "solution";

export function lessonTarget(env = process.env): LessonTarget {
  const target = env.LESSON_TARGET ?? "exercise";
  if (target !== "exercise" && target !== "solution") {
    throw new Error(t("lesson.target.invalid", { value: target }));
  }
  return target;
}

/** The file the tests run against for this lesson. */
export function lessonModulePath(slug: string, target: LessonTarget = lessonTarget()): string {
  const lesson = findLesson(slug);
  return target === "solution" ? lesson.solution : lesson.exercise;
}

/**
 * Imports the lesson's exercise or solution. Type it with the exercise's exports:
 * `const lesson = await loadLesson<typeof import("./exercise")>("04-s3")`.
 */
export async function loadLesson<T>(slug: string): Promise<T> {
  return (await import(pathToFileURL(lessonModulePath(slug)).href)) as T;
}

export { createClient, clientConfig, DEFAULT_REGION } from "./clients";
export { uniqueName, RUN_ID, NotImplementedError, workshopTags, WORKSHOP_TAG } from "./lesson";
export { waitFor, within, WaitedTooLongError, type WaitOptions } from "./check/wait";
/** A failure message in both languages, side by side: expect(x, say(`the stored body`, `el cuerpo guardado`)). */
export { say } from "./i18n";

// ── Recorded calls and scripted faults (workshop/clients/middleware.ts does the work) ─────────

export type { FaultKind, FaultRule, InjectedFault } from "./clients/faults";
export { FaultSet } from "./clients/faults";
export type { RecordedCall, Recording } from "./clients/recorder";
export { describeFault } from "./clients/faults";

/** Runs `fn` at the end of the current test, when called inside one (beforeEach counts). */
function atTestEnd(fn: () => void): void {
  try {
    onTestFinished(fn);
  } catch {
    // Not inside a test (beforeAll, a describe body): the afterEach below, or the caller, ends it.
  }
}

/**
 * What the code sent: every SDK call of clients built by createClient, in this test file's
 * process, from now until `stop()` (or the end of the test it was started in).
 * `rec.calls`, `rec.names()` → ["S3.CreateBucket", "S3.PutObject"], `rec.find("S3", "PutObject")`.
 */
export function recordCalls(): Recording {
  const recording = startRecording();
  atTestEnd(() => recording.stop());
  return recording;
}

/**
 * Scripted faults, for a lesson's "when it fails" tests (deterministic). They apply to every
 * client built by createClient in this process until `clear()` or the end of the test.
 *   injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", times: 1 }])
 * `.injected` lists what was actually injected, in order.
 */
export function injectFaults(rules: FaultRule[]): FaultSet {
  const set = addFaults(rules);
  atTestEnd(() => set.clear());
  return set;
}

// After each test: no scripted fault outlives it, and a stale read never reaches into the next test.
try {
  // The lesson these tests belong to, for the run's journal (the cost and fault report per lesson).
  // (Vitest hands the suite as the second argument; the first must be a destructuring pattern.)
  beforeAll(({}, suite: unknown) => {
    const file = (suite as { filepath?: string; file?: { filepath?: string } }).filepath ?? (suite as { file?: { filepath?: string } }).file?.filepath ?? "";
    setLessonScope(/[\\/]lessons[\\/](\d\d-[^\\/]+)[\\/]/.exec(file)?.[1]);
  });
  beforeEach((context) => {
    const task = context.task as { name: string; fullName?: string; concurrent?: boolean };
    // Concurrent tests overlap: then the report names the test file's line of each call instead.
    setCurrentTest(task.concurrent ? undefined : (task.fullName ?? task.name).replace(/^\S+\.test\.ts > /, ""));
  });
  afterEach(() => {
    clearAllFaults();
    forgetWrites();
    setCurrentTest(undefined);
  });
} catch {
  // Imported outside a test run (by the harness, for its types): there are no tests to clean after.
}
