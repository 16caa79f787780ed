// What a lesson's tests import. The one switch between the attendee's exercise and the
// reference solution lives here: LESSON_TARGET=exercise (the default) or LESSON_TARGET=solution.
import { pathToFileURL } from "node:url";
import { findLesson } from "./lessons";

export type LessonTarget = "exercise" | "solution";

export function lessonTarget(env = process.env): LessonTarget {
  const target = env.LESSON_TARGET ?? "exercise";
  if (target !== "exercise" && target !== "solution") {
    throw new Error(`LESSON_TARGET must be "exercise" or "solution", not "${target}".`);
  }
  return target;
}

/** The file the tests run against for this lesson. */
export function lessonModulePath(slug: string, target: LessonTarget = lessonTarget()): string {
  const lesson = findLesson(slug);
  return target === "solution" ? lesson.solution : lesson.exercise;
}

/**
 * Imports the lesson's exercise or solution. Type it with the exercise's exports:
 * `const lesson = await loadLesson<typeof import("./exercise")>("04-s3")`.
 */
export async function loadLesson<T>(slug: string): Promise<T> {
  return (await import(pathToFileURL(lessonModulePath(slug)).href)) as T;
}

export { createClient, clientConfig, DEFAULT_REGION } from "./clients";
export { uniqueName, RUN_ID, NotImplementedError, workshopTags, WORKSHOP_TAG } from "./lesson";
export { waitFor, WaitedTooLongError, type WaitOptions } from "./check/wait";
