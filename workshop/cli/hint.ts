// Progressive hints for the TODO the learner is on, one at a time, from a nudge to nearly the
// answer. The hints live in the lesson's lesson.json (todos[].hints); how many of each TODO's
// were shown lives in the progress file. The current TODO is the step the last check named
// (the lowest-numbered one that fails or is not done), or the first TODO before any check.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { lang, t } from "../i18n";
import { rel, todoMeta, type Lesson, type TodoMeta } from "../lessons";
import { readProgress, updateProgress, type LessonProgress } from "./progress";
import { pc, wrap } from "./ui";

export interface HintView {
  /** The TODO these hints are for (undefined: the lesson's general hints, of no particular TODO). */
  todo?: Pick<TodoMeta, "n" | "step">;
  /** The hints shown so far, the newest last. */
  shown: string[];
  total: number;
  /** True when the newest hint is the last one. */
  last: boolean;
  /** True when every hint was already shown before this ask: there is no new one. */
  usedUp: boolean;
  /** The last check passed everything: there is no TODO to give a hint for. */
  allPass?: boolean;
}

/** The TODO the learner is on: the step of the last check, else the first TODO. */
export function currentTodo(lesson: Lesson, entry: LessonProgress | undefined = readProgress().lessons[lesson.slug]): number | undefined {
  if (entry?.step !== undefined) return entry.step;
  return lesson.todos[0]?.n;
}

function source(lesson: Lesson, entry: LessonProgress | undefined): { todo?: Pick<TodoMeta, "n" | "step">; hints: string[]; key?: string } {
  const n = currentTodo(lesson, entry);
  const meta = n === undefined ? undefined : todoMeta(lesson, n);
  if (meta && meta.hints.length > 0) return { todo: { n: meta.n, step: meta.step }, hints: meta.hints, key: String(meta.n) };
  // A lesson.json of the old format: hints of no particular TODO.
  return { ...(n !== undefined ? { todo: { n, step: meta?.step ?? `TODO ${n}` } } : {}), hints: lesson.generalHints };
}

function shownCount(entry: LessonProgress | undefined, key?: string): number {
  return key === undefined ? (entry?.hintsShown ?? 0) : (entry?.hints?.[key] ?? 0);
}

/** Reveals the next hint for the current TODO (once all are shown, shows them all again). */
export async function nextHint(lesson: Lesson): Promise<HintView> {
  const before = readProgress().lessons[lesson.slug];
  if (before?.status === "complete") return { shown: [], total: 0, last: true, usedUp: false, allPass: true };
  let view: HintView = { shown: [], total: 0, last: true, usedUp: false };
  await updateProgress((progress) => {
    const entry = (progress.lessons[lesson.slug] ??= {});
    const { todo, hints, key } = source(lesson, entry);
    const total = hints.length;
    const had = shownCount(entry, key);
    const count = Math.min(had + 1, total);
    if (key === undefined) entry.hintsShown = count;
    else entry.hints = { ...entry.hints, [key]: count };
    view = { ...(todo ? { todo } : {}), shown: hints.slice(0, count), total, last: count === total, usedUp: total > 0 && had >= total };
  });
  return view;
}

/** The hints shown so far for the current TODO, without revealing a new one. */
export function shownHints(lesson: Lesson): HintView {
  const entry = readProgress().lessons[lesson.slug];
  const { todo, hints, key } = source(lesson, entry);
  const count = Math.min(shownCount(entry, key), hints.length);
  return { ...(todo ? { todo } : {}), shown: hints.slice(0, count), total: hints.length, last: count === hints.length, usedUp: false };
}

export async function forgetHints(lesson: Lesson): Promise<void> {
  await updateProgress((progress) => {
    const entry = progress.lessons[lesson.slug];
    if (!entry) return;
    delete entry.hintsShown;
    delete entry.hints;
  });
}

/** The lesson's README in the learner's language (README.es.md in Spanish, when the lesson has one). */
export function readmeOf(lesson: Pick<Lesson, "dir">): string {
  const spanish = join(lesson.dir, "README.es.md");
  return rel(lang() === "es" && existsSync(spanish) ? spanish : join(lesson.dir, "README.md"));
}

/** The hints in words, wrapped at word boundaries to `width` columns. */
export function describeHints(lesson: Lesson, view: HintView, width = 80): string {
  if (view.allPass) return t("cli.hint.allPass", { number: lesson.number, file: `lessons/${lesson.slug}/exercise.ts` });
  const about = view.todo ? t("cli.hint.aboutTodo", { n: view.todo.n, step: view.todo.step }) : t("cli.hint.aboutLesson", { number: lesson.number });
  if (view.total === 0) return wrap(t("cli.hint.none", { about, readme: readmeOf(lesson) }), width);
  const lines: string[] = [pc.dim(t("cli.hint.for", { about }))];
  view.shown.forEach((hint, i) => {
    const label = t("cli.hint.label", { i: i + 1, total: view.total });
    const newest = i === view.shown.length - 1 && !view.usedUp;
    lines.push(wrap(newest ? `${pc.bold(pc.yellow(label))} ${hint}` : pc.dim(`${label} ${hint}`), width, "  "));
  });
  const command = `npm start -- solution ${lesson.number}`;
  const solution = view.todo ? t("cli.hint.solutionStep", { command, n: view.todo.n }) : t("cli.hint.solution", { command });
  if (view.usedUp) lines.push(wrap(pc.yellow(`${t("cli.hint.usedUp", { about, total: view.total })} ${solution}`), width));
  else if (view.last) lines.push(wrap(pc.dim(`${t("cli.hint.last", { about })} ${solution}`), width));
  else lines.push(pc.dim(t("cli.hint.more", { next: view.shown.length + 1 })));
  return lines.join("\n");
}
