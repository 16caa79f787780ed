// `npm run check -- 04`: runs one lesson's tests against the attendee's exercise (or the
// reference solution) and turns Vitest's result into plain words for a learner.
import { existsSync, readFileSync } from "node:fs";
import { createVitest } from "vitest/node";
import type { TestModule } from "vitest/node";
import { useEmulator, type Emulator } from "./emulator";
import { rel, type Lesson } from "./lessons";
import { ROOT } from "./paths";
import type { LessonTarget } from "./testing";

export interface Todo {
  n: number;
  task: string;
  /** "lessons/04-s3/exercise.ts:42", when the TODO comment is found. */
  location?: string;
}

export interface Failure {
  test: string;
  message: string;
  todo?: Todo;
}

export interface CheckResult {
  lesson: string;
  target: LessonTarget;
  file: string;
  emulator: string;
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  failures: Failure[];
  /** The lowest-numbered TODO that a failing test ran into: the next thing to do. */
  nextTodo?: Todo;
  /** Set when the lesson's file could not even be loaded (a syntax error, say). */
  loadError?: string;
  durationMs: number;
}

const TODO_MESSAGE = /TODO (\d+) is not done yet: (.*)/;

/** Where "TODO n" first appears in the file, as path:line. */
export function locateTodo(file: string, n: number): string | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").split("\n");
  const index = lines.findIndex((line) => new RegExp(`TODO ${n}\\b`).test(line));
  return index >= 0 ? `${rel(file)}:${index + 1}` : undefined;
}

function firstLine(message: string): string {
  return message.split("\n").slice(0, 12).join("\n");
}

function collect(modules: TestModule[], file: string) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: Failure[] = [];
  const loadErrors: string[] = [];
  for (const module of modules) {
    for (const error of module.errors()) loadErrors.push(`${error.name ?? "Error"}: ${error.message}`);
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state === "passed") passed += 1;
      else if (result.state === "skipped") skipped += 1;
      else if (result.state === "failed") {
        failed += 1;
        const error = result.errors[0];
        const message = error ? error.message : "failed";
        const match = TODO_MESSAGE.exec(message);
        const todo = match ? { n: Number(match[1]), task: match[2], location: locateTodo(file, Number(match[1])) } : undefined;
        failures.push({ test: test.fullName, message: firstLine(message), todo });
      }
    }
  }
  return { passed, failed, skipped, failures, loadErrors };
}

export interface CheckOptions {
  target?: LessonTarget;
  /** An emulator already resolved by the caller (the dashboard keeps one for its session). */
  emulator?: Emulator;
}

export async function runCheck(lesson: Lesson, options: CheckOptions = {}): Promise<CheckResult> {
  const started = Date.now();
  const target = options.target ?? "exercise";
  const file = target === "solution" ? lesson.solution : lesson.exercise;
  const base = { lesson: lesson.slug, target, file: rel(file), passed: 0, failed: 0, skipped: 0, failures: [] as Failure[] };
  if (!existsSync(file)) {
    return { ...base, emulator: "none", ok: false, loadError: `${rel(file)} does not exist. Restore it with \`npm start -- reset ${lesson.number}\`.`, durationMs: Date.now() - started };
  }
  const emulator = options.emulator ?? (await useEmulator());
  try {
    const vitest = await createVitest(
      "test",
      {
        config: false,
        root: ROOT,
        dir: lesson.dir,
        watch: false,
        // A reporter that prints nothing: the verdict is told in plain words by describeCheck().
        reporters: [{}],
        silent: true,
        passWithNoTests: false,
        testTimeout: 60_000,
        hookTimeout: 120_000,
        env: { LESSON_TARGET: target, ...(emulator.endpoint ? { AWS_ENDPOINT_URL: emulator.endpoint } : {}) },
      },
      { logLevel: "silent" },
    );
    let modules: TestModule[];
    try {
      const result = await vitest.start();
      modules = result.testModules;
    } finally {
      await vitest.close();
    }
    const { passed, failed, skipped, failures, loadErrors } = collect(modules, file);
    const todos = failures.flatMap((f) => (f.todo ? [f.todo] : [])).sort((a, b) => a.n - b.n);
    const loadError = loadErrors.length ? loadErrors.join("\n") : undefined;
    return {
      ...base,
      emulator: emulator.description,
      ok: !loadError && failed === 0 && passed > 0,
      passed,
      failed,
      skipped,
      failures,
      nextTodo: todos[0],
      loadError,
      durationMs: Date.now() - started,
    };
  } finally {
    if (!options.emulator) await emulator.stop();
  }
}

/** The verdict in plain words. `color` wraps text; identity for no colour. */
export function describeCheck(result: CheckResult, color: { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string } ): string {
  const lines: string[] = [];
  const what = result.target === "solution" ? "the reference solution" : "your exercise";
  lines.push(color.dim(`Lesson ${result.lesson}: ${what} (${result.file}) against ${result.emulator}`));
  if (result.loadError) {
    lines.push(color.red(color.bold(`✗ ${result.file} could not be run.`)));
    lines.push(result.loadError);
    lines.push(`Fix the file (look at the line named above), save it, and check again.`);
    return lines.join("\n");
  }
  const total = result.passed + result.failed;
  if (result.ok) {
    lines.push(color.green(color.bold(`✓ All ${total} checks pass.`)));
    return lines.join("\n");
  }
  lines.push(color.red(color.bold(`✗ ${result.passed} of ${total} checks pass.`)));
  if (result.nextTodo) {
    lines.push("");
    lines.push(color.bold(`Next thing to do: TODO ${result.nextTodo.n}: ${result.nextTodo.task}`));
    if (result.nextTodo.location) lines.push(`  at ${result.nextTodo.location}`);
  }
  const first = result.failures.find((f) => !f.todo) ?? result.failures[0];
  if (first && (!result.nextTodo || !first.todo)) {
    lines.push("");
    lines.push(color.bold(`Failing: ${first.test}`));
    lines.push(first.message.replace(/^/gm, "  "));
  }
  return lines.join("\n");
}
