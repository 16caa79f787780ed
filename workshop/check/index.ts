// The check: runs a lesson's tests against the attendee's exercise (or the reference solution)
// and turns Vitest's result into plain words for a learner (`npm run check -- 04`).
import { existsSync, readFileSync } from "node:fs";
import { dirname, sep } from "node:path";
import { createVitest } from "vitest/node";
import type { TestModule } from "vitest/node";
import type { CostSummary } from "../clients/cost";
import type { InjectedFault } from "../clients/faults";
import { collectJournal, describeRunExtras, openJournal } from "../clients/run-report";
import { useEmulator, type Emulator } from "../emulator";
import { rel, type Lesson } from "../lessons";
import { ROOT } from "../paths";
import type { LessonTarget } from "../testing";

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
  /** Why tests were skipped, as the tests said it. */
  skipNotes?: string[];
  failures: Failure[];
  /** The lowest-numbered TODO that a failing test ran into: the next thing to do. */
  nextTodo?: Todo;
  /** Set when the lesson's file could not even be loaded (a syntax error, say). */
  loadError?: string;
  durationMs: number;
  /** The run's chaos (--chaos): its seed and the faults injected in this lesson. */
  chaos?: { seed: number; faults: InjectedFault[] };
  /** The requests made and what they would have cost on AWS (workshop/clients/cost.ts). */
  cost?: CostSummary;
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

function toFailure(name: string, message: string, file?: string): Failure {
  const match = TODO_MESSAGE.exec(message);
  const todo = match ? { n: Number(match[1]), task: match[2], location: file ? locateTodo(file, Number(match[1])) : undefined } : undefined;
  return { test: name, message: firstLine(message), todo };
}

/** A module that could not even be imported because the file itself is broken (not because a TODO threw). */
function isBrokenFile(error: { name?: string; message: string }): boolean {
  return /SyntaxError|TransformError/.test(error.name ?? "") || /Transform failed|Unexpected token|Expected .* but found|ERROR: /.test(error.message);
}

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: Failure[];
  /** Notes given by tests that skipped themselves (for example "this emulator has no ELB"). */
  skipNotes: string[];
  /** The lesson file could not be loaded at all (a syntax error, say). */
  loadErrors: string[];
}

/**
 * Counts a Vitest run. A failed beforeAll/afterAll counts as a failure of its suite (Vitest
 * marks the suite's tests skipped, which must never read as green), and so does a module
 * whose top-level code threw.
 */
export function tally(modules: TestModule[], file?: string): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0, failures: [], skipNotes: [], loadErrors: [] };
  for (const module of modules) {
    for (const error of module.errors()) {
      if (file && isBrokenFile(error)) t.loadErrors.push(`${error.name ?? "Error"}: ${error.message}`);
      else {
        t.failed += 1;
        t.failures.push(toFailure(`${module.relativeModuleId} (while loading)`, `${error.name ?? "Error"}: ${error.message}`, file));
      }
    }
    for (const suite of module.children.allSuites()) {
      for (const error of suite.errors()) {
        t.failed += 1;
        t.failures.push(toFailure(`${suite.fullName} (setup or teardown)`, error.message, file));
      }
    }
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state === "passed") t.passed += 1;
      else if (result.state === "skipped") {
        t.skipped += 1;
        if (result.note && !t.skipNotes.includes(result.note)) t.skipNotes.push(result.note);
      } else if (result.state === "failed") {
        t.failed += 1;
        const error = result.errors[0];
        t.failures.push(toFailure(test.fullName, error ? error.message : "failed", file));
      }
    }
  }
  return t;
}

export interface CheckOptions {
  target?: LessonTarget;
  /** An emulator already resolved by the caller (the dashboard keeps one for its session). */
  emulator?: Emulator;
  /** Random chaos with this seed (`--chaos=SEED`): workshop/clients/chaos.ts. */
  chaos?: number;
}

function commonDir(dirs: string[]): string {
  return dirs.reduce((a, b) => {
    while (!(b + sep).startsWith(a + sep)) a = dirname(a);
    return a;
  });
}

export async function runCheck(lesson: Lesson, options: CheckOptions = {}): Promise<CheckResult> {
  const [result] = await runChecks([lesson], options);
  return result;
}

/**
 * Checks several lessons in one Vitest run (one start-up instead of one per lesson: this is
 * how `npm run check -- --all` and the suite's "exercises must fail" proof stay quick).
 */
export async function runChecks(lessons: Lesson[], options: CheckOptions = {}): Promise<CheckResult[]> {
  const started = Date.now();
  const target = options.target ?? "exercise";
  const fileOf = (lesson: Lesson) => (target === "solution" ? lesson.solution : lesson.exercise);
  const base = (lesson: Lesson) => ({ lesson: lesson.slug, target, file: rel(fileOf(lesson)), passed: 0, failed: 0, skipped: 0, failures: [] as Failure[] });
  const missing = lessons.filter((lesson) => !existsSync(fileOf(lesson)));
  const present = lessons.filter((lesson) => existsSync(fileOf(lesson)));
  const results = new Map<string, CheckResult>();
  for (const lesson of missing) {
    const loadError = `${rel(fileOf(lesson))} does not exist. Restore it with \`npm start -- reset ${lesson.number}\`.`;
    results.set(lesson.slug, { ...base(lesson), emulator: "none", ok: false, loadError, durationMs: 0 });
  }
  if (present.length > 0) {
    const emulator = options.emulator ?? (await useEmulator());
    // Each test worker writes what it did (calls, faults) to this run's journal.
    const journal = openJournal(options.chaos);
    try {
      const vitest = await createVitest(
        "test",
        {
          config: false,
          root: ROOT,
          dir: commonDir(present.map((lesson) => lesson.dir)),
          watch: false,
          // A reporter that prints nothing: the verdict is told in plain words by describeCheck().
          reporters: [{}],
          silent: true,
          passWithNoTests: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { LESSON_TARGET: target, ...journal.env, ...(emulator.endpoint ? { AWS_ENDPOINT_URL: emulator.endpoint } : {}) },
        },
        { logLevel: "silent" },
      );
      let modules: TestModule[];
      try {
        const result = await vitest.start(present.map((lesson) => lesson.dir + sep));
        modules = result.testModules;
      } finally {
        await vitest.close();
      }
      const reports = collectJournal(journal, present.map((l) => l.slug), present.length === 1 ? present[0].slug : undefined);
      for (const lesson of present) {
        const report = reports.get(lesson.slug);
        const own = modules.filter((m) => m.moduleId.startsWith(lesson.dir + sep));
        const { passed, failed, skipped, failures, skipNotes, loadErrors } = tally(own, fileOf(lesson));
        const todos = failures.flatMap((f) => (f.todo ? [f.todo] : [])).sort((a, b) => a.n - b.n);
        const loadError = loadErrors.length ? loadErrors.join("\n") : undefined;
        results.set(lesson.slug, {
          ...base(lesson),
          emulator: emulator.description,
          ok: !loadError && failed === 0 && passed > 0,
          passed,
          failed,
          skipped,
          skipNotes,
          failures,
          nextTodo: todos[0],
          loadError,
          durationMs: Date.now() - started,
          ...(options.chaos !== undefined ? { chaos: { seed: options.chaos, faults: report?.faults ?? [] } } : {}),
          ...(report ? { cost: report.cost } : {}),
        });
      }
    } finally {
      if (!options.emulator) await emulator.stop();
    }
  }
  return lessons.map((lesson) => results.get(lesson.slug)!);
}

/** The verdict in plain words. `color` wraps text; identity for no colour. */
export function describeCheck(result: CheckResult, color: { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string } ): string {
  // Then the faults chaos injected, if any, and the cost line (workshop/clients/run-report.ts).
  const extras = describeRunExtras(result.cost ? { faults: result.chaos?.faults ?? [], cost: result.cost } : undefined, result.chaos?.seed);
  return [describeVerdict(result, color), ...extras.map((line) => color.dim(line))].join("\n");
}

function describeVerdict(result: CheckResult, color: { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string }): string {
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
    if (result.skipped > 0) {
      lines.push(color.dim(`  (${result.skipped} skipped: ${result.skipNotes?.join("; ") || "no reason given"})`));
    }
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
