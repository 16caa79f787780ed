// "A lesson is named by number or slug; without one, the current lesson."
import { findLesson, listLessons, type Lesson } from "../lessons";
import { CliError } from "./errors";
import { currentLesson, readProgress } from "./progress";

export function resolveLesson(ref?: string): Lesson {
  if (ref !== undefined) return findLesson(ref);
  const lessons = listLessons();
  const lesson = currentLesson(lessons, readProgress());
  if (!lesson) throw new CliError("There are no lessons yet: lessons/ has no NN-slug folders.");
  return lesson;
}
