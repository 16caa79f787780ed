// A check's verdict, as data and in plain words: the steps, the first thing to fix, core and
// stretch. No test runner here (cheap to import: `npm run check` prints with it, and a check
// handed to a running workshop process comes back as this data).
import type { CostSummary } from "../clients/cost";
import type { InjectedFault } from "../clients/faults";
import { describeRunExtras } from "../clients/run-report";
import { existsSync, readFileSync } from "node:fs";
import { sep } from "node:path";
import { rel, type Lesson } from "../lessons";
import type { LessonTarget } from "../testing";
import type { TypeProblem } from "./typecheck";
import { lang, t, withLang, type Lang } from "../i18n";

export interface Todo {
  n: number;
  task: string;
  /** "lessons/04-s3/exercise.ts:42", when the TODO comment (or its function) is found. */
  location?: string;
}

export interface Failure {
  test: string;
  message: string;
  /** The TODO whose "not done yet" error this failure is. */
  todo?: Todo;
  /** The step the test checks, from its name ("step 4: …", or a describe so named). */
  step?: number;
  /** A type error, when this failure is one (test is then "type check"). */
  type?: TypeProblem;
}

export interface StepState {
  n: number;
  /** lesson.json's words for the step, if it has them. */
  title?: string;
  core: boolean;
  /** passed: its tests pass; not done: its TODO throws; failing: a test or a type error says no; untested: no test names it. */
  state: "passed" | "failing" | "not done" | "untested";
}

export interface PartTally {
  passed: number;
  total: number;
}

export interface CheckResult {
  lesson: string;
  target: LessonTarget;
  file: string;
  emulator: string;
  /** Everything passes: tests and type check (a lesson "complete"). */
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  /** Why tests were skipped, as the tests said it. */
  skipNotes?: string[];
  failures: Failure[];
  /** The type errors of the file (and of the workshop files it imports). */
  typeErrors: TypeProblem[];
  /** Each step of the lesson: from lesson.json's todos, the tests' "step N:" names and the TODOs thrown. */
  steps: StepState[];
  /** The first thing to fix: the failure of the lowest-numbered step that fails or is not done. */
  first?: Failure;
  /** The step `first` belongs to (undefined: the whole file, or a "lesson:" test). */
  currentStep?: number;
  /** The current step as a TODO: exactly the step `first` names. The next thing to do. */
  nextTodo?: Todo;
  core: PartTally & { done: boolean };
  stretch: PartTally;
  /** Set when the lesson's file could not even be loaded (a syntax error, say). */
  loadError?: string;
  durationMs: number;
  /** The run's chaos (--chaos): its seed and the faults injected in this lesson. */
  chaos?: { seed: number; faults: InjectedFault[] };
  /** The requests made and what they would have cost on AWS (workshop/clients/cost.ts). */
  cost?: CostSummary;
}

export const TODO_MESSAGE = /TODO (\d+) is not done yet: (.*)/;
const STEP_NAME = /^step (\d+)\b/i;

/**
 * A test's name as the learner reads it: the lesson helpers keep the prefix "step N:" and
 * "lesson:" untranslated in both languages (the check parses it); shown here in `language`.
 */
export function localizeTestName(name: string, language: Lang = lang()): string {
  if (language === "en") return name;
  return name
    .split(" > ")
    .map((part) =>
      part
        .replace(/^step (\d+)(:|\b)/i, (_, n: string, colon: string) => t("check.test.step", { n }, language) + (colon === ":" ? ":" : ""))
        .replace(/^lesson:/i, `${t("check.test.lesson", {}, language)}:`)
        .replace(/ \(while loading\)$/, ` ${t("check.test.whileLoading", {}, language)}`)
        .replace(/ \(setup or teardown\)$/, ` ${t("check.test.setupOrTeardown", {}, language)}`),
    )
    .join(" > ");
}

/** Where "TODO n" first appears in the file, as path:line. */
export function locateTodo(file: string, n: number, fn?: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").split("\n");
  let index = lines.findIndex((line) => new RegExp(`TODO ${n}\\b`).test(line));
  // The TODO's comment is gone (the learner is on it): point at its function.
  if (index < 0 && fn) index = lines.findIndex((line) => new RegExp(`function\\s+${fn}\\b|const\\s+${fn}\\s*=`).test(line));
  return index >= 0 ? `${rel(file)}:${index + 1}` : undefined;
}

/** The step a test's full name ("describe > test") names, if it names one. */
export function stepOfName(fullName: string): number | undefined {
  for (const part of fullName.split(" > ")) {
    const match = STEP_NAME.exec(part.trim());
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * A test's error in plain words: no test-framework jargon ("// Object.is equality", "expected …
 * to be …" after a message the test wrote itself, stack lines), the expected and received
 * values kept short, when the message does not already say them.
 */
export function plainMessage(error: { name?: string; message: string; expected?: unknown; actual?: unknown }, language: Lang = lang()): string {
  let message = error.message.replace(/^AssertionError: /, "");
  const timedOut = /^(Test|Hook) timed out in (\d+)ms/.exec(message);
  if (timedOut) {
    const seconds = Math.round(Number(timedOut[2]) / 1000);
    return t(timedOut[1] === "Hook" ? "check.timedOut.setup" : "check.timedOut.test", { seconds }, language);
  }
  message = message.replace(/\s*\/\/ (Object\.is|deep|strict|deep strict) equality/g, "");
  const lines = message.split("\n").filter((line) => !/^\s+at .+(:\d+:\d+\)?|\(native\))$/.test(line) && !/^\s*❯ /.test(line));
  message = lines.slice(0, 12).join("\n").trimEnd();
  // "the bucket holds: a, b: expected [ 'a', 'b' ] to include 'c'": the test's own words first.
  const own = /^([\s\S]+?): expected [\s\S]+ to (?:not )?(?:be|equal|strictly equal|deeply equal|include|contain|have|match|satisfy|throw|resolve|reject)[\s\S]*$/.exec(message);
  if (own && !/^expected /.test(message)) {
    // Objects come pretty-printed over several lines: one line of them is enough, when it is short.
    const short = (v: unknown) => {
      if (typeof v !== "string" || v.length === 0) return undefined;
      const line = v.replace(/\s*\n\s*/g, " ").replace(/,\s*}/g, " }").replace(/,\s*]/g, " ]");
      return line.length <= 200 ? line : undefined;
    };
    const wanted = short(error.expected);
    const got = short(error.actual);
    message = own[1] + (wanted && got ? `\n${t("check.wantedGot", { wanted, got }, language)}` : "");
  }
  return message;
}

/** Where a failure ranks: its step (the lower of the step it checks and the TODO it ran into); the whole file first; "lesson:" tests and unnamed ones last. */
function rank(f: Failure): number {
  if (f.type) return f.step ?? -1;
  if (/ \(while loading\)$/.test(f.test) && f.step === undefined && !f.todo) return -1;
  const steps = [f.step, f.todo?.n].filter((n): n is number => n !== undefined);
  return steps.length ? Math.min(...steps) : Number.MAX_SAFE_INTEGER;
}

/** Within one step: a TODO not done first, then a type error, then a failing test. */
function order(f: Failure): number {
  return f.todo ? 0 : f.type ? 1 : 2;
}

/** The failures in the order a learner should meet them: the first one is the next thing to do. */
export function rankFailures(failures: Failure[]): Failure[] {
  return [...failures].sort((a, b) => rank(a) - rank(b) || order(a) - order(b));
}

type LessonLike = Pick<Lesson, "slug"> & Partial<Pick<Lesson, "todos">>;

/** Turns a tally and the type errors into steps, the first failure, and the core/stretch counts. */
export function judge(lesson: LessonLike, file: string, counted: { failures: Failure[]; stepPasses: Map<number, number> }, typeErrors: TypeProblem[], language: Lang = lang()): Pick<CheckResult, "failures" | "steps" | "first" | "currentStep" | "nextTodo" | "core" | "stretch"> {
  const todos = lesson.todos ?? [];
  const stepOfFunction = (fn?: string) => (fn ? todos.filter((t) => t.function === fn).map((t) => t.n).sort((a, b) => a - b)[0] : undefined);
  const typeFailures: Failure[] = typeErrors.map((problem) => {
    const step = problem.file === rel(file).split(sep).join("/") ? stepOfFunction(problem.inFunction) : undefined;
    return {
      test: "type check",
      message: `${problem.file}:${problem.line}:${problem.column} ${problem.message} (TS${problem.code})\n${problem.frame}`,
      type: problem,
      ...(step !== undefined ? { step } : {}),
    };
  });
  const failures = rankFailures([...counted.failures, ...typeFailures]);
  const numbers = new Set<number>([...todos.map((t) => t.n), ...counted.stepPasses.keys()]);
  for (const f of failures) {
    if (f.step !== undefined) numbers.add(f.step);
    if (f.todo) numbers.add(f.todo.n);
  }
  const named = counted.stepPasses.size > 0 || counted.failures.some((f) => f.step !== undefined);
  const steps: StepState[] = [...numbers].sort((a, b) => a - b).map((n) => {
    const meta = todos.find((t) => t.n === n);
    const notDone = failures.some((f) => f.todo?.n === n);
    const failing = failures.some((f) => f.step === n);
    const passes = counted.stepPasses.get(n) ?? 0;
    const state: StepState["state"] = notDone ? "not done" : failing ? "failing" : passes > 0 || !named ? "passed" : "untested";
    return { n, ...(meta ? { title: meta.step } : {}), core: meta?.core ?? true, state };
  });
  const first = failures[0];
  const firstRank = first ? rank(first) : undefined;
  const currentStep = firstRank !== undefined && firstRank >= 0 && firstRank < Number.MAX_SAFE_INTEGER ? firstRank : undefined;
  let nextTodo: Todo | undefined;
  if (currentStep !== undefined) {
    const meta = todos.find((t) => t.n === currentStep);
    const thrown = failures.find((f) => f.todo?.n === currentStep)?.todo;
    // Named by lesson.json's step, in the learner's language (todo()'s own words are English only).
    nextTodo = thrown
      ? { ...thrown, ...(meta ? { task: meta.step } : {}) }
      : { n: currentStep, task: meta?.step ?? t("check.stepN", { n: currentStep }, language), location: locateTodo(file, currentStep, meta?.function) };
  }
  const part = (core: boolean): PartTally => {
    const mine = steps.filter((s) => s.core === core);
    return { passed: mine.filter((s) => s.state === "passed").length, total: mine.length };
  };
  const core = part(true);
  // The whole file breaking (a type error outside any step, a module that cannot load) breaks the core too.
  const wholeFileBroken = failures.some((f) => rank(f) === -1);
  return {
    failures,
    steps,
    first,
    currentStep,
    nextTodo,
    core: { ...core, done: core.total > 0 && core.passed === core.total && !wholeFileBroken },
    stretch: part(false),
  };
}

type Colors = { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string };

/** "core 3/6 · stretch 0/4" ("3/6 steps" when the lesson has no stretch). */
export function describeParts(result: Pick<CheckResult, "core" | "stretch">, language: Lang = lang()): string {
  if (result.core.total + result.stretch.total === 0) return "";
  if (result.stretch.total === 0) return t("check.parts.steps", { passed: result.core.passed, total: result.core.total }, language);
  return t("check.parts.coreStretch", { passed: result.core.passed, total: result.core.total, stretchPassed: result.stretch.passed, stretchTotal: result.stretch.total }, language);
}

/** A failure's name for the learner: the test's name with its prefix in the learner's language; "type check" for a type error. */
export function failureName(failure: Pick<Failure, "test" | "type">, language: Lang = lang()): string {
  return failure.type ? t("check.typeCheck", {}, language) : localizeTestName(failure.test, language);
}

/** The verdict in plain words, in `language` (default: the current one). `color` wraps text; identity for no colour. */
export function describeCheck(result: CheckResult, color: Colors, language: Lang = lang()): string {
  // Then the faults chaos injected, if any, and the cost line (workshop/clients/run-report.ts).
  // They read the language themselves: they get the one asked for.
  const extras = withLang(language, () => describeRunExtras(result.cost ? { faults: result.chaos?.faults ?? [], cost: result.cost } : undefined, result.chaos?.seed));
  return [verdictInWords(result, color, language), ...extras.map((line) => color.dim(line))].join("\n");
}

function verdictInWords(result: CheckResult, color: Colors, language: Lang): string {
  const say = (key: Parameters<typeof t>[0], vars?: Parameters<typeof t>[1]) => t(key, vars, language);
  const lines: string[] = [];
  const header = result.target === "solution" ? "check.header.solution" : "check.header.exercise";
  lines.push(color.dim(say(header, { lesson: result.lesson, file: result.file, emulator: result.emulator })));
  if (result.loadError) {
    lines.push(color.red(color.bold(say("check.loadError.title", { file: result.file }))));
    lines.push(result.loadError);
    lines.push(say("check.loadError.fix"));
    return lines.join("\n");
  }
  const total = result.passed + result.failed;
  const parts = describeParts(result, language);
  if (result.ok) {
    lines.push(color.green(color.bold(say("check.allPass", { total }))) + (parts ? color.dim(` (${parts})`) : ""));
    if (result.skipped > 0) {
      lines.push(color.dim(`  ${say("check.skipped", { n: result.skipped, why: result.skipNotes?.join("; ") || say("check.skipped.noReason") })}`));
    }
    lines.push(say("check.demo", { command: color.bold(`npx tsx ${result.file.split(sep).join("/")}`) }));
    return lines.join("\n");
  }
  lines.push(color.red(color.bold(say("check.somePass", { passed: result.passed, total }))) + (parts ? color.dim(` (${parts})`) : ""));
  if (result.core.done && result.stretch.total > 0) {
    lines.push(color.green(say("check.coreDone", { lesson: result.lesson })));
  }
  const first = result.first ?? result.failures[0];
  if (!first) return lines.join("\n");
  lines.push("");
  const title = result.currentStep !== undefined ? result.steps.find((s) => s.n === result.currentStep)?.title : undefined;
  if (first.todo && result.nextTodo && first.todo.n === result.nextTodo.n) {
    lines.push(color.bold(say("check.next", { n: result.nextTodo.n, task: result.nextTodo.task })));
    if (result.nextTodo.location) lines.push(`  ${say("check.at", { location: result.nextTodo.location })}`);
  } else if (first.type) {
    const where = `${first.type.file}:${first.type.line}:${first.type.column}`;
    const key = result.currentStep === undefined ? "check.typeError" : title ? "check.typeError.stepTitled" : "check.typeError.step";
    lines.push(color.bold(say(key, { n: result.currentStep ?? "", title: title ?? "", where })));
    // The compiler's own words, as tsc gives them (in English).
    lines.push(`  ${first.type.message.replace(/\n/g, "\n  ")} (TS${first.type.code})`);
    lines.push(first.type.frame.replace(/^/gm, "  "));
  } else {
    if (result.currentStep !== undefined) {
      const location = result.nextTodo?.location;
      const key = title ? (location ? "check.fixFirst.titledAt" : "check.fixFirst.titled") : location ? "check.fixFirst.at" : "check.fixFirst";
      lines.push(color.bold(say(key, { n: result.currentStep, title: title ?? "", location: location ?? "" })));
    }
    lines.push(color.bold(say("check.failing", { test: failureName(first, language) })));
    lines.push(first.message.replace(/^/gm, "  "));
  }
  const later = result.steps.filter((s) => s.n !== result.currentStep && (s.state === "failing" || s.state === "not done")).map((s) => s.n);
  if (later.length > 0) lines.push(color.dim(`  ${say(later.length > 1 ? "check.then.steps" : "check.then.step", { steps: later.join(", ") })}`));
  return lines.join("\n");
}
