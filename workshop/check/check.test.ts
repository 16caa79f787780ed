// The check's verdict on lessons that go wrong in ways a learner's will: a syntax error, a
// type error, a setup hook that throws, a test that skips itself, a broken step behind a TODO
// not started, a core done with the stretch left. Each runs in its own process, as
// `npm run check` does, on a throwaway lesson under .workshop/.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { CheckResult } from "./index";
import { ROOT, STATE_DIR } from "../paths";

const base = join(STATE_DIR, `check-fixtures-${process.pid}`);
afterAll(() => rmSync(base, { recursive: true, force: true }));
// Relative, as a lesson imports it (the type check resolves it like tsc does).
const lessonApi = relative(join(base, "any"), join(ROOT, "workshop/lesson")).split(sep).join("/");

interface Fixture {
  exercise: string;
  tests: string;
  todos?: Array<{ n: number; step: string; function?: string; core: boolean; hints: string[] }>;
}

const TODO = `import { todo } from ${JSON.stringify(lessonApi)};\n`;

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
  // Steps 1 and 3 work, step 2 is broken, TODO 4 is not started: step 2 comes first.
  ranked: {
    exercise:
      TODO +
      `export function one(): number { return 1; }\n` +
      `export function two(): number { return 3; }\n` +
      `export function three(): number { return 3; }\n` +
      `export function four(): number {\n  // TODO 4: return 4\n  todo(4, "return 4");\n}\n`,
    tests:
      `import { expect, test } from "vitest";\nimport { one, two, three, four } from "./exercise";\n` +
      `test("step 4: four is 4", () => expect(four()).toBe(4));\n` +
      `test("step 1: one is 1", () => expect(one()).toBe(1));\n` +
      `test("step 3: three is 3", () => expect(three()).toBe(3));\n` +
      `test("step 2: two is 2", () => expect(two(), "two() should answer 2").toBe(2));\n` +
      `test("lesson: all together", () => expect(one() + two()).toBe(3));\n`,
    todos: [
      { n: 1, step: "One", function: "one", core: true, hints: [] },
      { n: 2, step: "Two", function: "two", core: true, hints: [] },
      { n: 3, step: "Three", function: "three", core: false, hints: [] },
      { n: 4, step: "Four", function: "four", core: false, hints: [] },
    ],
  },
  // The tests pass at run time, but tsc refuses the file: a failing verdict, at step 2's function.
  types: {
    exercise: `export function one(): number { return 1; }\nexport function two(): string {\n  const n: string = 2;\n  return n;\n}\n`,
    tests: `import { expect, test } from "vitest";\nimport { one } from "./exercise";\ntest("step 1: one is 1", () => expect(one()).toBe(1));\n`,
    todos: [
      { n: 1, step: "One", function: "one", core: true, hints: [] },
      { n: 2, step: "Two", function: "two", core: true, hints: [] },
    ],
  },
  // Only the stretch is left: "the core is done", and still not a pass.
  core: {
    exercise: TODO + `export function one(): number { return 1; }\nexport function two(): number {\n  // TODO 2: return 2\n  todo(2, "return 2");\n}\n`,
    tests: `import { expect, test } from "vitest";\nimport { one, two } from "./exercise";\ntest("step 1: one is 1", () => expect(one()).toBe(1));\ntest("step 2: two is 2", () => expect(two()).toBe(2));\n`,
    todos: [
      { n: 1, step: "One", function: "one", core: true, hints: [] },
      { n: 2, step: "Two", function: "two", core: false, hints: [] },
    ],
  },
  // A TODO's error in another language (lesson.ts words it in the learner's): known by its fields.
  "todo-in-spanish": {
    exercise: `export function two(): number {\n  // TODO 2: return 2\n  throw Object.assign(new Error("El TODO 2 todavía no está hecho: dos"), { name: "NotImplementedError", todo: 2, task: "dos" });\n}\n`,
    tests: `import { expect, test } from "vitest";\nimport { two } from "./exercise";\ntest("step 2: two is 2", () => expect(two()).toBe(2));\n`,
    todos: [{ n: 2, step: "Two", function: "two", core: true, hints: [] }],
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
let verdicts: Record<string, { result: CheckResult; text: string; es: string }>;
beforeAll(() => {
  const lessons = Object.entries(fixtures).map(([name, fixture]) => {
    const dir = join(base, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "exercise.ts"), fixture.exercise);
    writeFileSync(join(dir, "fixture.test.ts"), fixture.tests);
    const exercise = join(dir, "exercise.ts");
    return { number: "99", slug: name, dir, exercise, solution: exercise, title: name, summary: "", todos: fixture.todos ?? [], generalHints: [] };
  });
  const script = `
    import { runChecks, describeCheck } from ${JSON.stringify(pathToFileURL(join(ROOT, "workshop/check/index.ts")).href)};
    const emulator = { kind: "endpoint", endpoint: process.env.AWS_ENDPOINT_URL, description: "the test's emulator", stop: async () => {} };
    const results = await runChecks(${JSON.stringify(lessons)}, { emulator });
    const plain = { red: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };
    console.log(JSON.stringify(Object.fromEntries(results.map((result) => [result.lesson, { result, text: describeCheck(result, plain), es: describeCheck(result, plain, "es") }]))));
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

test("the lowest-numbered failing step comes first: a broken step 2 before a TODO 4 not started", () => {
  const { result, text } = checkFixture("ranked");
  expect(result.ok).toBe(false);
  expect(result.currentStep).toBe(2);
  expect(result.nextTodo?.n, "next TODO means exactly the step shown").toBe(2);
  expect(result.first?.test).toBe("step 2: two is 2");
  expect(result.steps.map((s) => `${s.n}:${s.state}`)).toEqual(["1:passed", "2:failing", "3:passed", "4:not done"]);
  expect(text.indexOf("step 2: two is 2")).toBeGreaterThan(0);
  expect(text, "no other step is put before step 2").not.toMatch(/Next thing to do: TODO 4/);
  expect(text).toContain("two() should answer 2");
  expect(text, "no test-framework jargon").not.toContain("Object.is");
  expect(text).toMatch(/then: step 4\)/);
  expect(result.core).toEqual({ passed: 1, total: 2, done: false });
  expect(result.stretch).toEqual({ passed: 1, total: 2 });
});

test("a type error fails the check with file, line, column, the compiler's message and a code frame", () => {
  const { result, text } = checkFixture("types");
  expect(result.passed, "the tests themselves pass").toBe(1);
  expect(result.ok).toBe(false);
  expect(result.typeErrors).toHaveLength(1);
  expect(result.typeErrors[0]).toMatchObject({ line: 3, column: 9, code: 2322, inFunction: "two" });
  expect(result.currentStep, "the error is inside step 2's function").toBe(2);
  expect(text).toMatch(/exercise\.ts:3:9/);
  expect(text).toContain("Type 'number' is not assignable to type 'string'.");
  expect(text).toMatch(/> 3 \|   const n: string = 2;/);
});

test("with only the stretch left, the verdict says the core is done, and it is still not a pass", () => {
  const { result, text } = checkFixture("core");
  expect(result.ok).toBe(false);
  expect(result.core.done).toBe(true);
  expect(text).toContain("The core of lesson core is done");
  expect(text, "the TODO is named by lesson.json's step, in the learner's language").toContain("Next thing to do: TODO 2: Two");
});

test("a TODO's error worded in Spanish still names the TODO, by its fields", () => {
  const { result } = checkFixture("todo-in-spanish");
  expect(result.nextTodo).toMatchObject({ n: 2, task: "Two" });
  expect(result.failures[0].todo?.n).toBe(2);
});

test("the same verdict in Spanish: the harness's words, the test's prefix \"step N:\" as \"paso N:\", the compiler's message as tsc gives it", () => {
  const ranked = checkFixture("ranked").es;
  expect(ranked).toContain("✗ Pasan 2 de 5 pruebas. (núcleo 1/2 · extra 1/2)");
  expect(ranked).toContain("Arreglá primero el paso 2 (Two), en ");
  expect(ranked).toContain("Falla: paso 2: two is 2");
  expect(ranked).toMatch(/\(después: paso 4\)/);
  expect(ranked, "no English framing left").not.toMatch(/Failing:|Fix step|then: step|checks pass/);
  const types = checkFixture("types").es;
  expect(types).toMatch(/El paso 2 \(Two\) tiene un error de tipos: .*exercise\.ts:3:9/);
  expect(types).toContain("Type 'number' is not assignable to type 'string'.");
  expect(checkFixture("core").es).toContain("✓ El núcleo de la lección core está hecho: lo que queda es extra.");
  expect(checkFixture("core").es).toContain("Lo próximo: TODO 2: Two");
  expect(checkFixture("syntax").es).toContain("No se pudo correr");
});
