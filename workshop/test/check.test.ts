// The check's verdict on lessons that go wrong in ways a learner's will: a syntax error, a
// setup hook that throws, a test that skips itself. Each runs in its own process, as
// `npm run check` does, on a throwaway lesson under .workshop/.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, test } from "vitest";
import type { CheckResult } from "../check";
import { ROOT, STATE_DIR } from "../paths";

const base = join(STATE_DIR, `check-fixtures-${process.pid}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));
const lessonApi = pathToFileURL(join(ROOT, "workshop/lesson.ts")).href;

function checkFixture(name: string, exercise: string, tests: string): { result: CheckResult; text: string } {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "exercise.ts"), exercise);
  writeFileSync(join(dir, "fixture.test.ts"), tests);
  const script = `
    import { runCheck, describeCheck } from ${JSON.stringify(pathToFileURL(join(ROOT, "workshop/check.ts")).href)};
    const lesson = { number: "99", slug: "99-fixture", dir: ${JSON.stringify(dir)}, exercise: ${JSON.stringify(join(dir, "exercise.ts"))},
      solution: ${JSON.stringify(join(dir, "exercise.ts"))}, title: "fixture", summary: "", hints: [] };
    const emulator = { kind: "endpoint", endpoint: process.env.AWS_ENDPOINT_URL, description: "the test's emulator", stop: async () => {} };
    const result = await runCheck(lesson, { emulator });
    const plain = { red: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };
    console.log(JSON.stringify({ result, text: describeCheck(result, plain) }));
    process.exitCode = 0; // Vitest sets it when tests fail; here a failing fixture is the point.
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

test("an exercise with a syntax error is reported as a file to fix, with the line", () => {
  const { result, text } = checkFixture(
    "syntax",
    `export function createBucket(name: string {\n  return name;\n}\n`,
    `import { test, expect } from "vitest";\nimport { createBucket } from "./exercise";\ntest("works", () => expect(createBucket("a")).toBe("a"));\n`,
  );
  expect(result.ok).toBe(false);
  expect(result.loadError).toBeDefined();
  expect(text).toContain("could not be run");
  expect(text).toMatch(/exercise\.ts:1/);
});

test("a beforeAll that throws fails the check: its skipped tests never read as green", () => {
  const { result, text } = checkFixture(
    "setup",
    `export const x = 1;\n`,
    `import { beforeAll, describe, expect, test } from "vitest";\n` +
      `describe("step", () => {\n  beforeAll(() => { throw new Error("the emulator said no"); });\n  test("a", () => expect(1).toBe(1));\n});\n`,
  );
  expect(result.ok).toBe(false);
  expect(result.failed).toBeGreaterThan(0);
  expect(text).toContain("the emulator said no");
});

test("a TODO thrown in a beforeAll still names the TODO", () => {
  const { result } = checkFixture(
    "todo-in-setup",
    `import { todo } from ${JSON.stringify(lessonApi)};\nexport async function setUp(): Promise<void> {\n  // TODO 3: make it\n  todo(3, "make it");\n}\n`,
    `import { beforeAll, describe, expect, test } from "vitest";\nimport { setUp } from "./exercise";\n` +
      `describe("step", () => {\n  beforeAll(() => setUp());\n  test("a", () => expect(1).toBe(1));\n});\n`,
  );
  expect(result.ok).toBe(false);
  expect(result.nextTodo).toMatchObject({ n: 3, task: "make it" });
  expect(result.nextTodo?.location).toMatch(/exercise\.ts:3$/);
});

test("tests that skip themselves are counted and their reason shown", () => {
  const { result, text } = checkFixture(
    "skip",
    `export const x = 1;\n`,
    `import { expect, test } from "vitest";\n` +
      `test("runs", () => expect(1).toBe(1));\n` +
      `test("needs a load balancer", (ctx) => { ctx.skip("this emulator has no Elastic Load Balancing"); });\n`,
  );
  expect(result.ok).toBe(true);
  expect(result.skipped).toBe(1);
  expect(text).toContain("1 skipped: this emulator has no Elastic Load Balancing");
});
