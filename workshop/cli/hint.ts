// Progressive hints, one at a time: each `hint` shows the next one, from a nudge to nearly the
// answer. The hints live in the lesson's lesson.json; how many were shown lives in the progress file.
import type { Lesson } from "../lessons";
import { readProgress, updateProgress } from "./progress";
import { pc } from "./ui";

export interface HintView {
  /** The hints shown so far, the newest last. */
  shown: string[];
  total: number;
  /** True when the newest hint is the last one. */
  last: boolean;
}

/** Reveals the next hint (or, once all are shown, shows them all again). */
export async function nextHint(lesson: Lesson): Promise<HintView> {
  const total = lesson.hints.length;
  if (total === 0) return { shown: [], total, last: true };
  let count = 0;
  await updateProgress((progress) => {
    const entry = (progress.lessons[lesson.slug] ??= {});
    count = Math.min((entry.hintsShown ?? 0) + 1, total);
    entry.hintsShown = count;
  });
  return { shown: lesson.hints.slice(0, count), total, last: count === total };
}

/** The hints shown so far, without revealing a new one. */
export function shownHints(lesson: Lesson): HintView {
  const count = Math.min(readProgress().lessons[lesson.slug]?.hintsShown ?? 0, lesson.hints.length);
  return { shown: lesson.hints.slice(0, count), total: lesson.hints.length, last: count === lesson.hints.length };
}

export async function forgetHints(lesson: Lesson): Promise<void> {
  await updateProgress((progress) => {
    if (progress.lessons[lesson.slug]) delete progress.lessons[lesson.slug].hintsShown;
  });
}

export function describeHints(lesson: Lesson, view: HintView): string {
  if (view.total === 0) return `Lesson ${lesson.number} has no hints. Its README (lessons/${lesson.slug}/README.md) walks through the steps.`;
  const lines: string[] = [];
  view.shown.forEach((hint, i) => {
    const label = `Hint ${i + 1} of ${view.total}:`;
    const newest = i === view.shown.length - 1;
    lines.push(newest ? `${pc.bold(pc.yellow(label))} ${hint}` : pc.dim(`${label} ${hint}`));
  });
  lines.push(
    view.last
      ? pc.dim(`That is the last hint. \`npm start -- solution ${lesson.number}\` shows the reference solution.`)
      : pc.dim(`Stuck still? Ask again for hint ${view.shown.length + 1}.`),
  );
  return lines.join("\n");
}
