// The lessons on disk, found by their folders (lessons/NN-slug) so that a new lesson
// needs no code change. Each folder's lesson.json holds its metadata: title, summary, hints.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { LESSONS_DIR, ROOT, SOLUTIONS_DIR } from "./paths";

export interface LessonMeta {
  title: string;
  summary: string;
  /** Progressive hints, from a nudge to nearly the answer. */
  hints: string[];
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

export function listLessons(): Lesson[] {
  if (!existsSync(LESSONS_DIR)) return [];
  return readdirSync(LESSONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{2}-[a-z0-9-]+$/.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((slug) => {
      const dir = join(LESSONS_DIR, slug);
      const metaFile = join(dir, "lesson.json");
      const meta: Partial<LessonMeta> = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, "utf8")) : {};
      return {
        number: slug.slice(0, 2),
        slug,
        dir,
        exercise: join(dir, "exercise.ts"),
        solution: join(SOLUTIONS_DIR, slug, "solution.ts"),
        title: meta.title ?? slug.slice(3),
        summary: meta.summary ?? "",
        hints: meta.hints ?? [],
      };
    });
}

/** Finds a lesson by number ("4", "04"), slug ("04-s3") or name ("s3"). */
export function findLesson(ref: string): Lesson {
  const lessons = listLessons();
  const wanted = ref.trim().toLowerCase().replace(/^lessons[\\/]/, "").replace(/[\\/]$/, "");
  const found = lessons.find(
    (l) => l.slug === wanted || l.number === wanted.padStart(2, "0") || l.slug.slice(3) === wanted,
  );
  if (!found) {
    throw new UnknownLessonError(
      `There is no lesson "${ref}". The lessons are:\n` + lessons.map((l) => `  ${l.number}  ${l.slug}  ${l.title}`).join("\n"),
    );
  }
  return found;
}

export function rel(path: string): string {
  return relative(ROOT, path) || ".";
}
