// The attendee's progress, kept in .workshop/progress.json (git-ignored) so that it survives
// restarts. A lesson is "done" when its last check passed its core, "complete" when everything
// passed; "not started" means never checked.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import type { CheckResult } from "../check";
import type { Lesson } from "../lessons";
import { explainStateError, STATE_DIR } from "../paths";
import { joinedRoom } from "../classroom/joined";
import { CliError } from "./errors";
import { t } from "../i18n";

export type LessonStatus = "not started" | "failing" | "done" | "complete";

export interface LessonProgress {
  status?: "failing" | "done" | "complete";
  /** ISO time of the last check of the attendee's exercise. */
  lastChecked?: string;
  passed?: number;
  failed?: number;
  /** The step to work on, from the last check: the lowest-numbered one that fails or is not done. */
  step?: number;
  /** Steps passing, of how many, in the core and in the stretch (from the last check). */
  core?: { passed: number; total: number };
  stretch?: { passed: number; total: number };
  /** TODO number → how many of its hints have been shown, so `hint` gives the next one. */
  hints?: Record<string, number>;
  /** How many of the lesson's general hints (those of no particular TODO) have been shown. */
  hintsShown?: number;
}

export interface Progress {
  /** The slug of the lesson the attendee is on. */
  current?: string;
  lessons: Record<string, LessonProgress>;
}

export const PROGRESS_FILE = join(STATE_DIR, "progress.json");

function empty(): Progress {
  return { lessons: {} };
}

/** Reads the progress file; a missing or damaged file counts as no progress (never a crash). */
export function readProgress(file = PROGRESS_FILE): Progress {
  if (!existsSync(file)) return empty();
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as Partial<Progress>;
    if (!data || typeof data !== "object") return empty();
    const lessons = data.lessons && typeof data.lessons === "object" ? data.lessons : {};
    return { ...(typeof data.current === "string" ? { current: data.current } : {}), lessons };
  } catch {
    return empty();
  }
}

function write(file: string, progress: Progress): void {
  mkdirSync(dirname(file), { recursive: true });
  // Write a new file and rename it over the old one: a crash never leaves half a file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(progress, null, 2) + "\n");
  renameSync(temp, file);
}

/**
 * Changes the progress file under a lock, so that the dashboard and an `npm run check`
 * in another terminal never overwrite each other's update.
 */
export async function updateProgress(change: (progress: Progress) => void, file = PROGRESS_FILE): Promise<Progress> {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const release = await lockfile.lock(dirname(file), {
      lockfilePath: `${file}.lock`,
      realpath: false,
      stale: 10_000,
      retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
    });
    try {
      const progress = readProgress(file);
      change(progress);
      write(file, progress);
      return progress;
    } finally {
      await release();
    }
  } catch (err) {
    // An unwritable .workshop/ is told in one plain sentence, never as a stack trace.
    const plain = explainStateError(err);
    throw plain ? new CliError(plain) : err;
  }
}

export function lessonStatus(progress: Progress, slug: string): LessonStatus {
  return progress.lessons[slug]?.status ?? "not started";
}

/** Done (its core passes) or complete (everything passes). */
export function isDone(status: LessonStatus): boolean {
  return status === "done" || status === "complete";
}

/**
 * Records the verdict of a check of the attendee's exercise (checks of the solution are not
 * progress). The verdict matters more than its record: a progress file that cannot be written
 * is reported on stderr, never allowed to hide the verdict.
 */
export async function recordCheck(result: CheckResult, file = PROGRESS_FILE): Promise<Progress | undefined> {
  if (joinedRoom()) await (await import("../classroom/attendee")).reportCheck(result); // in a room, the instructor's page sees the verdict (never code)
  try {
    return await updateProgress((progress) => {
      const entry = (progress.lessons[result.lesson] ??= {});
      entry.status = result.ok ? "complete" : result.core?.done ? "done" : "failing";
      entry.lastChecked = new Date().toISOString();
      entry.passed = result.passed;
      entry.failed = result.failed;
      if (result.currentStep !== undefined) entry.step = result.currentStep;
      else delete entry.step;
      if (result.core) entry.core = { passed: result.core.passed, total: result.core.total };
      if (result.stretch) entry.stretch = { ...result.stretch };
    }, file);
  } catch (err) {
    process.stderr.write(err instanceof CliError ? `${t("cli.progress.notSaved", { why: err.message })}\n` : `${t("cli.progress.couldNotSave", { file, error: (err as Error).message })}\n`);
    return undefined;
  }
}

/**
 * The lesson the attendee is on: the one saved as current if it still exists,
 * otherwise the first lesson that is not done, otherwise the last lesson.
 */
export function currentLesson(lessons: Lesson[], progress: Progress): Lesson | undefined {
  const saved = lessons.find((l) => l.slug === progress.current);
  if (saved) return saved;
  return lessons.find((l) => !isDone(lessonStatus(progress, l.slug))) ?? lessons.at(-1);
}

export async function setCurrent(slug: string, file = PROGRESS_FILE): Promise<void> {
  await updateProgress((progress) => {
    progress.current = slug;
  }, file);
}
