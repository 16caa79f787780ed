// "A lesson is named by number or slug; without one, the current lesson."
import { findLesson, listLessons, type Lesson } from "../lessons";
import { CliError } from "./errors";
import { t } from "../i18n";
import { currentLesson, readProgress } from "./progress";

export function resolveLesson(ref?: string): Lesson {
  if (ref !== undefined) return findLesson(ref);
  const lessons = listLessons();
  const lesson = currentLesson(lessons, readProgress());
  if (!lesson) throw new CliError(t("cli.noLessonFolders"));
  return lesson;
}
