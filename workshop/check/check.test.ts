// The check's verdict on lessons that go wrong in ways a learner's will: a syntax error, a
// setup hook that throws, a test that skips itself. Each runs in its own process, as
// `npm run check` does, on a throwaway lesson under .workshop/.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { CheckResult } from "./index";
import { ROOT, STATE_DIR } from "../paths";

const base = join(STATE_DIR, `check-fixtures-${process.pid}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));
const lessonApi = pathToFileURL(join(ROOT, "workshop/lesson.ts")).href;

interface Fixture {
  exercise: string;
  tests: string;
}

const fixtures: Record<string, Fixture> = {
  syntax: {
    exercise: `export function createBucket(name: string {\n  return name;\n}\n`,
    tests: `import { test, expect } from "vitest";\nimport { createBucket } from "./exercise";\ntest("works", () => expect(createBucket("a")).toBe("a"));\n`,
  },
  setup: {
    exercise: `export const x = 1;\n`,
    tests:
      `import { beforeAll, describe, expect, test } from "vitest";\n` +
      `describe("step", () => {\n  beforeAll(() => { throw new Error("the emulator said no"); });\n  test("a", () => expect(1).toBe(1));\n});\n`,
  },
  "todo-in-setup": {
    exercise: `import { todo } from ${JSON.stringify(lessonApi)};\nexport async function setUp(): Promise<void> {\n  // TODO 3: make it\n  todo(3, "make it");\n}\n`,
    tests:
      `import { beforeAll, describe, expect, test } from "vitest";\nimport { setUp } from "./exercise";\n` +
      `describe("step", () => {\n  beforeAll(() => setUp());\n  test("a", () => expect(1).toBe(1));\n});\n`,
  },
  skip: {
    exercise: `export const x = 1;\n`,
    tests:
      `import { expect, test } from "vitest";\n` +
      `test("runs", () => expect(1).toBe(1));\n` +
      `test("needs a load balancer", (ctx) => { ctx.skip("this emulator has no Elastic Load Balancing"); });\n`,
  },
};

// All the fixtures are checked in one child process and one Vitest run, as `check --all` does.
let verdicts: Record<string, { result: CheckResult; text: string }>;
beforeAll(() => {
  const lessons = Object.entries(fixtures).map(([name, fixture]) => {
    const dir = join(base, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "exercise.ts"), fixture.exercise);
    writeFileSync(join(dir, "fixture.test.ts"), fixture.tests);
    const exercise = join(dir, "exercise.ts");
    return { number: "99", slug: name, dir, exercise, solution: exercise, title: name, summary: "", hints: [] };
  });
  const script = `
    import { runChecks, describeCheck } from ${JSON.stringify(pathToFileURL(join(ROOT, "workshop/check/index.ts")).href)};
    const emulator = { kind: "endpoint", endpoint: process.env.AWS_ENDPOINT_URL, description: "the test's emulator", stop: async () => {} };
    const results = await runChecks(${JSON.stringify(lessons)}, { emulator });
    const plain = { red: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };
    console.log(JSON.stringify(Object.fromEntries(results.map((result) => [result.lesson, { result, text: describeCheck(result, plain) }]))));
    process.exitCode = 0; // Vitest sets it when tests fail; here a failing fixture is the point.
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(run.status, run.stderr).toBe(0);
  verdicts = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
});

function checkFixture(name: keyof typeof fixtures) {
  return verdicts[name];
}

test("an exercise with a syntax error is reported as a file to fix, with the line", () => {
  const { result, text } = checkFixture("syntax");
  expect(result.ok).toBe(false);
  expect(result.loadError).toBeDefined();
  expect(text).toContain("could not be run");
  expect(text).toMatch(/exercise\.ts:1/);
});

test("a beforeAll that throws fails the check: its skipped tests never read as green", () => {
  const { result, text } = checkFixture("setup");
  expect(result.ok).toBe(false);
  expect(result.failed).toBeGreaterThan(0);
  expect(text).toContain("the emulator said no");
});

test("a TODO thrown in a beforeAll still names the TODO", () => {
  const { result } = checkFixture("todo-in-setup");
  expect(result.ok).toBe(false);
  expect(result.nextTodo).toMatchObject({ n: 3, task: "make it" });
  expect(result.nextTodo?.location).toMatch(/exercise\.ts:3$/);
});

test("tests that skip themselves are counted and their reason shown", () => {
  const { result, text } = checkFixture("skip");
  expect(result.ok).toBe(true);
  expect(result.skipped).toBe(1);
  expect(text).toContain("1 skipped: this emulator has no Elastic Load Balancing");
});
