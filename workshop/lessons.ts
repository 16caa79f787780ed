// The lessons on disk, found by their folders (lessons/NN-slug) so that a new lesson
// needs no code change. Each folder's lesson.json holds its metadata (see CONTRIBUTING.md):
// title, summary, minutes { core, stretch }, and one entry per TODO with its own hints; every
// text in both languages ({ "en": "…", "es": "…" }), read here in the current one.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { LESSONS_DIR, ROOT, SOLUTIONS_DIR } from "./paths";
import { lang, pick, t, type Lang } from "./i18n";

/** One TODO of a lesson, as lesson.json describes it. */
export interface TodoMeta {
  /** The number in `todo(n, "…")` and in the `// TODO n:` comment. */
  n: number;
  /** What the step does, in a few words: "Create a bucket". */
  step: string;
  /** The exported function of exercise.ts (and solution.ts) that holds this TODO. */
  function?: string;
  /** Part of the lesson's core (what a newcomer does in 30–40 minutes); otherwise stretch. */
  core: boolean;
  /** One to three progressive hints, from a nudge to nearly the answer. */
  hints: string[];
}

export interface LessonMeta {
  title: string;
  summary: string;
  /** Honest estimates for a newcomer, in minutes. */
  minutes?: { core?: number; stretch?: number };
  todos: TodoMeta[];
  /**
   * Hints of no particular TODO: the old lesson.json's top-level "hints" (read during the move
   * to per-TODO hints, shown when the current TODO has none of its own).
   */
  generalHints: string[];
}

export interface Lesson extends LessonMeta {
  /** "04" */
  number: string;
  /** "04-s3" */
  slug: string;
  dir: string;
  exercise: string;
  solution: string;
}

export class UnknownLessonError extends Error {
  override name = "UnknownLessonError";
}

/** A text of lesson.json in the current language: { "en": "…", "es": "…" }, or a plain string. */
function text(value: unknown, language: Lang): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const found = pick(value as { en: string; es: string }, language);
    return typeof found === "string" ? found : undefined;
  }
  return undefined;
}

const strings = (value: unknown, language: Lang): string[] =>
  Array.isArray(value) ? value.map((h) => text(h, language)).filter((h): h is string => typeof h === "string") : [];

/** Reads lesson.json, new format or old, in a language; anything missing or damaged gets a harmless default. */
export function parseLessonMeta(raw: unknown, slug: string, language: Lang = lang()): LessonMeta {
  const data = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const todos: TodoMeta[] = (Array.isArray(data.todos) ? data.todos : [])
    .filter((t): t is Record<string, unknown> => Boolean(t) && typeof t === "object" && Number.isInteger((t as { n?: unknown }).n))
    .map((t) => ({
      n: t.n as number,
      step: text(t.step, language) ?? `TODO ${t.n}`,
      ...(typeof t.function === "string" ? { function: t.function } : {}),
      // A lesson that marks nothing as core has no stretch: all of it is the core.
      core: t.core === undefined ? true : t.core === true,
      hints: strings(t.hints, language),
    }))
    .sort((a, b) => a.n - b.n);
  const minutes = data.minutes && typeof data.minutes === "object" ? (data.minutes as { core?: unknown; stretch?: unknown }) : undefined;
  return {
    title: text(data.title, language) ?? slug.slice(3),
    summary: text(data.summary, language) ?? "",
    ...(minutes
      ? { minutes: { ...(typeof minutes.core === "number" ? { core: minutes.core } : {}), ...(typeof minutes.stretch === "number" ? { stretch: minutes.stretch } : {}) } }
      : {}),
    todos,
    generalHints: strings(data.hints, language),
  };
}

function readMeta(file: string): unknown {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return {};
  }
}

/** The lessons, their texts in `language` (default: the current one). */
export function listLessons(language: Lang = lang()): Lesson[] {
  if (!existsSync(LESSONS_DIR)) return [];
  return readdirSync(LESSONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{2}-[a-z0-9-]+$/.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((slug) => {
      const dir = join(LESSONS_DIR, slug);
      return {
        number: slug.slice(0, 2),
        slug,
        dir,
        exercise: join(dir, "exercise.ts"),
        solution: join(SOLUTIONS_DIR, slug, "solution.ts"),
        ...parseLessonMeta(readMeta(join(dir, "lesson.json")), slug, language),
      };
    });
}

/** The TODO numbered n, if lesson.json describes it. */
export function todoMeta(lesson: Pick<LessonMeta, "todos">, n: number): TodoMeta | undefined {
  return lesson.todos.find((t) => t.n === n);
}

/** Is step n part of the core? Steps lesson.json does not describe count as core (nothing is hidden). */
export function isCore(lesson: Pick<LessonMeta, "todos">, n: number): boolean {
  return todoMeta(lesson, n)?.core ?? true;
}

/** Finds a lesson by number ("4", "04"), slug ("04-s3") or name ("s3"). */
export function findLesson(ref: string, language: Lang = lang()): Lesson {
  const lessons = listLessons(language);
  const wanted = ref.trim().toLowerCase().replace(/^lessons[\\/]/, "").replace(/[\\/]$/, "");
  const found = lessons.find(
    (l) => l.slug === wanted || l.number === wanted.padStart(2, "0") || l.slug.slice(3) === wanted,
  );
  if (!found) {
    throw new UnknownLessonError(
      t("cli.lesson.unknown", { ref }, language) + "\n" + lessons.map((l) => `  ${l.number}  ${l.slug}  ${l.title}`).join("\n"),
    );
  }
  return found;
}

export function rel(path: string): string {
  return relative(ROOT, path) || ".";
}
