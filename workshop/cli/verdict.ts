// A check's verdict in plain words, followed by what to do next.
import { describeCheck, type CheckResult } from "../check/verdict";
import { EmulatorSetupError } from "../emulator";
import { listLessons, type Lesson } from "../lessons";
import { UnsafeTargetError } from "../clients/safety";
import { pc } from "./ui";

/** `how(lesson)` says how to move to a lesson from where the attendee is ("press n", "npm start -- watch 05"). */
export function describeVerdict(result: CheckResult, how: (next: Lesson) => string): string {
  const text = describeCheck(result, pc);
  if (result.target !== "exercise" || (!result.ok && !result.core.done)) return text;
  const lessons = listLessons();
  const index = lessons.findIndex((l) => l.slug === result.lesson);
  const next = lessons[index + 1];
  if (!result.ok) return next ? `${text}\nMove on to lesson ${next.number}, ${next.title} (${how(next)}), or try the stretch steps.` : text;
  const done = pc.green(`Lesson ${result.lesson} is done.`);
  if (next) return `${text}\n${done} Next: lesson ${next.number}, ${next.title}: ${how(next)}.`;
  return `${text}\n${done} That was the last lesson: the whole workshop is done. ¡No toca botón!`;
}

/** An error met while checking, explained; setup problems keep their own plain-words message. */
export function describeCheckError(err: unknown): string {
  if (err instanceof EmulatorSetupError || err instanceof UnsafeTargetError) return pc.red(err.message);
  return pc.red(`The check could not run: ${err instanceof Error ? err.message : String(err)}`);
}
