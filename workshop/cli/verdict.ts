// A check's verdict in plain words, followed by what to do next.
import { describeCheck, type CheckResult } from "../check/verdict";
import { EmulatorSetupError } from "../emulator";
import { listLessons, type Lesson } from "../lessons";
import { UnsafeTargetError } from "../clients/safety";
import { pc } from "./ui";
import { t } from "../i18n";

/** `how(lesson)` says how to move to a lesson from where the attendee is ("press n", "npm start -- watch 05"). */
export function describeVerdict(result: CheckResult, how: (next: Lesson) => string): string {
  const text = describeCheck(result, pc);
  if (result.target !== "exercise" || (!result.ok && !result.core.done)) return text;
  const lessons = listLessons();
  const index = lessons.findIndex((l) => l.slug === result.lesson);
  const next = lessons[index + 1];
  if (!result.ok) return next ? `${text}\n${t("cli.verdict.moveOn", { number: next.number, title: next.title, how: how(next) })}` : text;
  const done = pc.green(t("cli.verdict.done", { lesson: result.lesson }));
  if (next) return `${text}\n${done} ${t("cli.verdict.next", { number: next.number, title: next.title, how: how(next) })}`;
  return `${text}\n${done} ${t("cli.verdict.last")}`;
}

/** An error met while checking, explained; setup problems keep their own plain-words message. */
export function describeCheckError(err: unknown): string {
  if (err instanceof EmulatorSetupError || err instanceof UnsafeTargetError) return pc.red(err.message);
  return pc.red(t("cli.verdict.couldNotRun", { error: err instanceof Error ? err.message : String(err) }));
}
