// The check: runs a lesson's tests against the attendee's exercise (or the reference solution)
// and turns Vitest's result into plain words for a learner (`npm run check -- 04`).
import { existsSync, readFileSync } from "node:fs";
import { dirname, sep } from "node:path";
import { createVitest } from "vitest/node";
import type { TestModule, Vitest } from "vitest/node";
import { collectJournal, openJournal } from "../clients/run-report";
import { useEmulator, type Emulator } from "../emulator";
import { rel, type Lesson } from "../lessons";
import type { TypeProblem } from "./typecheck";
import type { IncrementalCache, RunContext } from "./incremental";
import type { WarmVitest } from "./warm-vitest";
import { judge, plainMessage, stepOfName, locateTodo, TODO_MESSAGE, type CheckResult, type Failure, type StepState } from "./verdict";
export * from "./verdict";
import { TypecheckThread, type TypeCheck } from "./typecheck-thread";
import { ROOT } from "../paths";
import type { LessonTarget } from "../testing";
import { lang, t as tr, type Lang } from "../i18n";

type TestError = { name?: string; message: string; expected?: unknown; actual?: unknown; todo?: unknown; task?: unknown };

/** The TODO a "not done yet" error is about: its own fields when it kept them (in any language), else its English message. */
function todoOf(error: TestError): { n: number; task: string } | undefined {
  if (/NotImplementedError/.test(error.name ?? "") && typeof error.todo === "number") return { n: error.todo, task: typeof error.task === "string" ? error.task : "" };
  const match = TODO_MESSAGE.exec(error.message);
  return match ? { n: Number(match[1]), task: match[2] } : undefined;
}

function toFailure(name: string, error: TestError, file?: string, language: Lang = lang()): Failure {
  const message = plainMessage(error, language);
  const thrown = todoOf(error);
  const todo = thrown ? { ...thrown, location: file ? locateTodo(file, thrown.n) : undefined } : undefined;
  const step = stepOfName(name);
  return { test: name, message, ...(todo ? { todo } : {}), ...(step !== undefined ? { step } : {}) };
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
  /** step → how many of its tests passed. */
  stepPasses: Map<number, number>;
}

/**
 * Counts a Vitest run. A failed beforeAll/afterAll counts as a failure of its suite (Vitest
 * marks the suite's tests skipped, which must never read as green), and so does a module
 * whose top-level code threw.
 */
export function tally(modules: TestModule[], file?: string, language: Lang = lang()): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0, failures: [], skipNotes: [], loadErrors: [], stepPasses: new Map() };
  for (const module of modules) {
    for (const error of module.errors()) {
      if (file && isBrokenFile(error)) t.loadErrors.push(`${error.name ?? "Error"}: ${error.message}`);
      else {
        t.failed += 1;
        t.failures.push(toFailure(`${module.relativeModuleId} (while loading)`, { ...error, message: `${error.name ?? "Error"}: ${error.message}` }, file, language));
      }
    }
    for (const suite of module.children.allSuites()) {
      for (const error of suite.errors()) {
        t.failed += 1;
        t.failures.push(toFailure(`${suite.fullName} (setup or teardown)`, error, file, language));
      }
    }
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state === "passed") {
        t.passed += 1;
        const step = stepOfName(test.fullName);
        if (step !== undefined) t.stepPasses.set(step, (t.stepPasses.get(step) ?? 0) + 1);
      } else if (result.state === "skipped") {
        t.skipped += 1;
        if (result.note && !t.skipNotes.includes(result.note)) t.skipNotes.push(result.note);
      } else if (result.state === "failed") {
        t.failed += 1;
        const error = result.errors[0];
        t.failures.push(toFailure(test.fullName, error ?? { message: tr("check.failedNoMessage", {}, language) }, file, language));
      }
    }
  }
  return t;
}

export interface CheckOptions {
  target?: LessonTarget;
  /** An emulator already resolved by the caller (the dashboard keeps one for its session). */
  emulator?: Emulator;
  /** A warm type checker kept by the caller; false skips the type check. Default: one for this run. */
  typecheck?: TypeCheck | false;
  /** Random chaos with this seed (`--chaos=SEED`): workshop/clients/chaos.ts. */
  chaos?: number;
  /**
   * The language of the verdict and of the tests' messages (their say(…) runs in the test
   * workers, which get it as WORKSHOP_LANG). Default: this process's. A check handed over by
   * another process comes with that process's language.
   */
  lang?: Lang;
  /**
   * The last results of a long session (the dashboard, `npm run emulator`): only the tests whose
   * code changed run, the others keep their result (workshop/check/incremental.ts).
   */
  incremental?: IncrementalCache;
  /** With `incremental`: run every test all the same (and remember their results). */
  full?: boolean;
  /** With `incremental`: the session's Vitest, kept from one check to the next. */
  warm?: WarmVitest;
}

function commonDir(dirs: string[]): string {
  return dirs.reduce((a, b) => {
    while (!(b + sep).startsWith(a + sep)) a = dirname(a);
    return a;
  });
}

/** Runs only the tests whose code changed since the cache's last results, and merges in the others. */
async function runIncremental(vitest: Vitest, lessons: Lesson[], cache: IncrementalCache, context: RunContext, fileOf: (lesson: Lesson) => string, full: boolean): Promise<TestModule[]> {
  const specs = await vitest.globTestSpecifications(lessons.map((lesson) => lesson.dir + sep));
  const planned = specs.map((spec) => {
    const lesson = lessons.find((l) => spec.moduleId.startsWith(l.dir + sep));
    const plan = lesson && !full ? cache.plan(lesson.slug, fileOf(lesson), spec.moduleId, context) : { kept: 0 };
    const partial = plan.testIds !== undefined && plan.testIds.length > 0;
    return { spec: partial ? spec.project.createSpecification(spec.moduleId, { testIds: plan.testIds }) : spec, plan: partial ? plan : { kept: 0, basis: plan.basis }, lesson };
  });
  const { testModules } = await vitest.runTestSpecifications(planned.map((p) => p.spec), true);
  const merged = testModules.map((module) => {
    const p = planned.find((x) => x.spec.moduleId === module.moduleId);
    return { module, lesson: p?.lesson, spec: p?.spec, plan: p?.plan, merged: p?.lesson ? cache.merge(p.lesson.slug, fileOf(p.lesson), module.moduleId, context, module, p.plan) : module };
  });
  // A file whose partial run cannot stand for a full one runs again, in full.
  const again = merged.filter((m) => m.merged === undefined);
  if (again.length === 0) return merged.map((m) => m.merged!);
  const rerun = await vitest.runTestSpecifications(again.map((m) => m.spec!.project.createSpecification(m.spec!.moduleId)), true);
  return merged.map((m) => {
    if (m.merged) return m.merged;
    const full = rerun.testModules.find((x) => x.moduleId === m.module.moduleId) ?? m.module;
    return cache.merge(m.lesson!.slug, fileOf(m.lesson!), full.moduleId, context, full, { kept: 0, basis: m.plan?.basis }) ?? full;
  });
}

export async function runCheck(lesson: Lesson, options: CheckOptions = {}): Promise<CheckResult> {
  const [result] = await runChecks([lesson], options);
  return result;
}

const EMPTY_PARTS = { core: { passed: 0, total: 0, done: false }, stretch: { passed: 0, total: 0 } };

/**
 * Checks several lessons in one Vitest run (one start-up instead of one per lesson: this is
 * how `npm run check -- --all` and the suite's "exercises must fail" proof stay quick).
 * The type check runs in a thread beside the tests.
 */
export async function runChecks(lessons: Lesson[], options: CheckOptions = {}): Promise<CheckResult[]> {
  const started = Date.now();
  const target = options.target ?? "exercise";
  const language = options.lang ?? lang();
  const fileOf = (lesson: Lesson) => (target === "solution" ? lesson.solution : lesson.exercise);
  const base = (lesson: Lesson) => ({ lesson: lesson.slug, target, file: rel(fileOf(lesson)), passed: 0, failed: 0, skipped: 0, failures: [] as Failure[], typeErrors: [] as TypeProblem[], steps: [] as StepState[], ...EMPTY_PARTS });
  const missing = lessons.filter((lesson) => !existsSync(fileOf(lesson)));
  const present = lessons.filter((lesson) => existsSync(fileOf(lesson)));
  const results = new Map<string, CheckResult>();
  for (const lesson of missing) {
    const loadError = tr("check.missingFile", { file: rel(fileOf(lesson)), number: lesson.number }, language);
    results.set(lesson.slug, { ...base(lesson), emulator: "none", ok: false, loadError, durationMs: 0 });
  }
  if (present.length > 0) {
    // WORKSHOP_TYPECHECK=0 leaves the type check out: for the harness's own tests of the command
    // line, which prove the CLI, not the compiler (workshop/check/check.test.ts proves the type check).
    const typecheckOff = options.typecheck === undefined && process.env.WORKSHOP_TYPECHECK === "0";
    const ownTypecheck = options.typecheck === undefined && !typecheckOff ? new TypecheckThread() : undefined;
    const typecheck = options.typecheck === false || typecheckOff ? undefined : (options.typecheck ?? ownTypecheck);
    // Started first: it needs no emulator, and it runs on another thread while the tests run.
    const types = typecheck
      ? typecheck.check(present.map(fileOf)).then(
          (problems) => ({ problems, error: undefined as string | undefined }),
          (err: Error) => ({ problems: {} as Record<string, TypeProblem[]>, error: err.message }),
        )
      : Promise.resolve({ problems: {} as Record<string, TypeProblem[]>, error: undefined as string | undefined });
    const emulator = options.emulator ?? (await useEmulator());
    // Each test worker writes what it did (calls, faults) to this run's journal.
    const journal = openJournal(options.chaos);
    try {
      const vitestOptions = {
        config: false as const,
        root: ROOT,
        dir: commonDir(present.map((lesson) => lesson.dir)),
        watch: false,
        // A reporter that prints nothing: the verdict is told in plain words by describeCheck().
        reporters: [{}],
        silent: true,
        passWithNoTests: false,
        testTimeout: 60_000,
        hookTimeout: 120_000,
        // Where each test is in its file: the incremental check ties a test to the lesson functions it uses.
        includeTaskLocation: options.incremental !== undefined,
        env: { LESSON_TARGET: target, WORKSHOP_LANG: language, ...journal.env, ...(emulator.endpoint ? { AWS_ENDPOINT_URL: emulator.endpoint } : {}) } as Record<string, string>,
      };
      // A long session's Vitest is kept warm (warm-vitest.ts); otherwise one for this run.
      const vitest = options.warm ? await options.warm.get(vitestOptions) : await createVitest("test", vitestOptions, { logLevel: "silent" });
      let modules: TestModule[];
      try {
        if (options.incremental) {
          modules = await runIncremental(vitest, present, options.incremental, { target, emulator: emulator.endpoint ?? emulator.description, chaos: options.chaos, lang: language }, fileOf, options.full === true);
        } else {
          const result = await vitest.start(present.map((lesson) => lesson.dir + sep));
          modules = result.testModules;
        }
      } finally {
        if (!options.warm) await vitest.close();
      }
      const { problems, error: typecheckError } = await types;
      const reports = collectJournal(journal, present.map((l) => l.slug), present.length === 1 ? present[0].slug : undefined);
      for (const lesson of present) {
        const file = fileOf(lesson);
        const report = reports.get(lesson.slug);
        const own = modules.filter((m) => m.moduleId.startsWith(lesson.dir + sep));
        const counted = tally(own, file, language);
        const typeErrors = problems[file] ?? [];
        const judged = judge(lesson, file, counted, typeErrors, language);
        const loadError = counted.loadErrors.length ? counted.loadErrors.join("\n") : undefined;
        const skipNotes = typecheckError ? [...counted.skipNotes, tr("check.typecheckFailed", { error: typecheckError }, language)] : counted.skipNotes;
        results.set(lesson.slug, {
          ...base(lesson),
          emulator: emulator.description,
          ok: !loadError && counted.failed === 0 && typeErrors.length === 0 && counted.passed > 0,
          passed: counted.passed,
          failed: counted.failed + typeErrors.length,
          skipped: counted.skipped,
          skipNotes,
          typeErrors,
          ...judged,
          loadError,
          durationMs: Date.now() - started,
          ...(options.chaos !== undefined ? { chaos: { seed: options.chaos, faults: report?.faults ?? [] } } : {}),
          // The cost of a run that kept some tests' results would be a part only: left out (the last full run's stays saved).
          ...(report && !((options.incremental?.last.get(lesson.slug)?.kept ?? 0) > 0) ? { cost: report.cost } : {}),
        });
      }
    } finally {
      if (!options.emulator) await emulator.stop();
      await ownTypecheck?.close();
    }
  }
  return lessons.map((lesson) => results.get(lesson.slug)!);
}

