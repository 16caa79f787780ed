// The incremental check gives the verdict a full run gives, rerunning only what an edit touched:
// on a small lesson of its own (no AWS calls), whose tests write down that they ran.
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runChecks, type CheckResult } from "./index";
import { IncrementalCache, moduleShape, testFileShape } from "./incremental";
import { WarmVitest } from "./warm-vitest";
import type { Emulator } from "../emulator";
import type { Lesson } from "../lessons";
import { STATE_DIR } from "../paths";

const dir = join(STATE_DIR, `incremental-fixture-${process.pid}`);
const exercise = join(dir, "exercise.ts");
const testFile = join(dir, "99-fixture.test.ts");
const log = join(dir, "ran.log");

const EXERCISE = `// A lesson of six steps; steps 3 and 4 share a helper.
export function helper(x: number): number {
  return x * 2;
}
export function one() { return 1; }
export function two() { return 2; }
export function three() { return helper(3); }
export const four = () => helper(4);
export function five() { return 5; }
export function six() { return 6; }
`;

const TESTS = `import { appendFileSync } from "node:fs";
import { expect, test } from "vitest";
const lesson = await import(process.env.LESSON_TARGET === "solution" ? "./solution.ts" : "./exercise.ts");
const ran = (name: string) => appendFileSync(new URL("./ran.log", import.meta.url), name + "\\n");
function check(n: number, got: number, want: number) {
  ran(String(n));
  expect(got, "step " + n).toBe(want);
}
test("step 1: one", () => check(1, lesson.one(), 1));
test("step 2: two", () => check(2, lesson.two(), 2));
test("step 3: three", () => check(3, lesson.three(), 6));
test("step 4: four", () => check(4, lesson.four(), 8));
test("step 5: five", () => check(5, lesson.five(), 5));
test("step 6: six", () => check(6, lesson.six(), 6));
test("lesson: a test tied to no function", () => ran("untied"));
`;

const lesson = {
  number: "99",
  slug: "99-fixture",
  dir,
  exercise,
  solution: join(dir, "solution.ts"),
  title: "fixture",
  summary: "",
  generalHints: [],
  todos: ["one", "two", "three", "four", "five", "six"].map((fn, i) => ({ n: i + 1, step: fn, function: fn, core: true, hints: [] })),
} as Lesson;
const emulator: Emulator = { kind: "endpoint", endpoint: "http://127.0.0.1:9", description: "no emulator (these tests call nothing)", stop: async () => {} };
const cache = new IncrementalCache();
// As the dashboard's Checker does it: one Vitest for the session, kept warm between checks.
const warm = new WarmVitest();

function ranTests(): string[] {
  const text = (() => {
    try {
      return readFileSync(log, "utf8");
    } catch {
      return "";
    }
  })();
  rmSync(log, { force: true });
  return text.split("\n").filter(Boolean).sort();
}

/** What a verdict says, without its timing. */
function verdict(r: CheckResult) {
  return { ok: r.ok, passed: r.passed, failed: r.failed, skipped: r.skipped, failures: r.failures.map((f) => [f.test, f.message, f.step]), steps: r.steps, first: r.first?.test, currentStep: r.currentStep };
}

/** An incremental check and a full one of the same files: the same verdict; and which tests the incremental one ran. */
async function incrementalAgainstFull(): Promise<string[]> {
  const [incremental] = await runChecks([lesson], { target: "exercise", emulator, typecheck: false, incremental: cache, warm });
  const ran = ranTests();
  const [full] = await runChecks([lesson], { target: "exercise", emulator, typecheck: false });
  ranTests();
  expect(verdict(incremental)).toEqual(verdict(full));
  return ran;
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, "utf8");
  expect(text, `the fixture holds ${from}`).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(exercise, EXERCISE);
  writeFileSync(testFile, TESTS);
});
afterAll(async () => {
  await warm.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the test file's tests are tied to the lesson functions they use, also through its helpers", () => {
  const shape = testFileShape(testFile);
  expect(shape.lessonName).toBe("lesson");
  expect(shape.tests.map((t) => [...t.uses.functions])).toEqual([["one"], ["two"], ["three"], ["four"], ["five"], ["six"], []]);
  const fns = moduleShape(exercise).functions;
  const before = new Map(fns);
  writeFileSync(exercise, EXERCISE.replace("x * 2", "x + x"));
  const after = moduleShape(exercise).functions;
  writeFileSync(exercise, EXERCISE);
  // A helper's edit changes the key of every function that calls it, and of no other.
  expect([...after].filter(([name, key]) => before.get(name) !== key).map(([name]) => name).sort()).toEqual(["four", "helper", "three"]);
});

test("a save reruns only the tests whose code changed, and the verdict is the full run's", { timeout: 120_000 }, async () => {
  // The first check runs everything (nothing is remembered yet).
  writeFileSync(exercise, EXERCISE);
  writeFileSync(testFile, TESTS);
  const [first] = await runChecks([lesson], { target: "exercise", emulator, typecheck: false, incremental: cache, warm });
  expect(first.ok, first.failures.map((f) => f.message).join("\n")).toBe(true);
  expect(ranTests()).toEqual(["1", "2", "3", "4", "5", "6", "untied"]);

  // An edit to step 6 (a bug): step 6 runs again and fails; steps 1-5 keep their results.
  edit(exercise, "return 6;", "return 7;");
  expect(await incrementalAgainstFull()).toEqual(["6", "untied"]);
  expect(cache.last.get(lesson.slug)).toEqual({ ran: 2, kept: 5 });

  // Fixing it: step 6 passes again, and the lesson with it.
  edit(exercise, "return 7;", "return 6;");
  expect(await incrementalAgainstFull()).toEqual(["6", "untied"]);

  // A helper called by steps 3 and 4: both run again, both fail, and nothing else runs.
  edit(exercise, "x * 2", "x * 3");
  expect(await incrementalAgainstFull()).toEqual(["3", "4", "untied"]);
  edit(exercise, "x * 3", "x * 2");
  expect(await incrementalAgainstFull()).toEqual(["3", "4", "untied"]);

  // Top-level code that is not a function (it could change what any function does): everything runs.
  edit(exercise, "// A lesson", "const unused = 1;\n// A lesson");
  expect(await incrementalAgainstFull()).toEqual(["1", "2", "3", "4", "5", "6", "untied"]);

  // Any change to the test file: everything runs.
  appendFileSync(testFile, "// a comment\n");
  expect(await incrementalAgainstFull()).toEqual(["1", "2", "3", "4", "5", "6", "untied"]);

  // Asked for in full: everything runs, whatever is remembered.
  await runChecks([lesson], { target: "exercise", emulator, typecheck: false, incremental: cache, warm, full: true });
  expect(ranTests()).toEqual(["1", "2", "3", "4", "5", "6", "untied"]);
});
