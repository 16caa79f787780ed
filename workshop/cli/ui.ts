// What every screen of the CLI shares: colours (picocolors honours NO_COLOR and FORCE_COLOR),
// the status marks, the progress bar and the status table.
import { stripVTControlCharacters } from "node:util";
import pc from "picocolors";
import { t } from "../i18n";
import type { Lesson } from "../lessons";
import { isDone, lessonStatus, type LessonProgress, type LessonStatus, type Progress } from "./progress";

export { pc };

export const MARK = {
  ok: pc.green("✓"),
  fail: pc.red("✗"),
  warn: pc.yellow("!"),
  none: pc.dim("·"),
};

/**
 * Wraps text at word boundaries to `width` visible columns (colour codes do not count);
 * continuation lines start with `indent`. Existing line breaks are kept; a word longer
 * than the line (a URL) stays whole.
 */
export function wrap(text: string, width: number, indent = ""): string {
  const max = Math.max(20, width);
  return text
    .split("\n")
    .map((paragraph) => {
      const words = paragraph.split(/(?<=\S) +(?=\S)/);
      const lead = /^ */.exec(stripVTControlCharacters(paragraph))![0];
      const lines: string[] = [];
      let line = "";
      for (const word of words) {
        const candidate = line ? `${line} ${word}` : word;
        if (line && stripVTControlCharacters(candidate).length > max) {
          lines.push(line);
          line = `${indent || lead}${word.trimStart()}`;
        } else line = candidate;
      }
      lines.push(line);
      return lines.join("\n");
    })
    .join("\n");
}

export function statusLabel(status: LessonStatus): string {
  if (status === "complete") return pc.green(`✓ ${t("cli.status.complete")}`);
  if (status === "done") return pc.green(`✓ ${t("cli.status.done")}`);
  if (status === "failing") return pc.red(`✗ ${t("cli.status.failing")}`);
  return pc.dim(`· ${t("cli.status.notStarted")}`);
}

/** "[███████░░░░░░░] 3/7 lessons done" */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  const bar = pc.green("█".repeat(filled)) + pc.dim("░".repeat(width - filled));
  return `[${bar}] ${t("cli.progress.done", { done, total })}`;
}

export function countDone(lessons: Lesson[], progress: Progress): number {
  return lessons.filter((l) => isDone(lessonStatus(progress, l.slug))).length;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width - 1) + "…" : text.padEnd(width);
}

/** One line per lesson: marker, number, name, title, status. `current` gets the ▸. */
export function statusTable(lessons: Lesson[], progress: Progress, current?: string, titleWidth = 40): string[] {
  return lessons.map((lesson) => {
    const here = lesson.slug === current;
    const marker = here ? pc.cyan("▸") : " ";
    const name = pad(lesson.slug.slice(3), 20);
    const title = pad(lesson.title, titleWidth);
    const status = statusLabel(lessonStatus(progress, lesson.slug));
    const parts = describeProgressParts(progress.lessons[lesson.slug]) || describeMinutes(lesson);
    const line = `${marker} ${lesson.number}  ${here ? pc.bold(name) : name} ${title} ${status}${parts ? " ".repeat(Math.max(1, 14 - stripVTControlCharacters(status).length)) + pc.dim(parts) : ""}`;
    return line.trimEnd();
  });
}

/** "core 3/6 · stretch 0/4" from the last check, or "" before any. */
export function describeProgressParts(entry: LessonProgress | undefined): string {
  if (!entry?.core) return "";
  const core = `${entry.core.passed}/${entry.core.total}`;
  if (!entry.stretch || entry.stretch.total === 0) return t("cli.parts.steps", { core });
  return t("cli.parts.coreStretch", { core, stretch: `${entry.stretch.passed}/${entry.stretch.total}` });
}

/** "core ~35 min · stretch ~20 min", from lesson.json, for a lesson not checked yet. */
export function describeMinutes(lesson: Pick<Lesson, "minutes">): string {
  const { core, stretch } = lesson.minutes ?? {};
  if (core === undefined) return "";
  return stretch ? t("cli.minutes.coreStretch", { core, stretch }) : t("cli.minutes.core", { core });
}

/** The whole table as `npm start | cat` and `npm start -- list` print it. */
export function statusReport(lessons: Lesson[], progress: Progress, current?: string): string {
  if (lessons.length === 0) return t("cli.noLessons");
  const lines = [pc.bold(`No toca BOTÓN: ${t("cli.tagline")}`), ""];
  lines.push(...statusTable(lessons, progress, current));
  lines.push("", progressBar(countDone(lessons, progress), lessons.length));
  const here = lessons.find((l) => l.slug === current);
  if (here) lines.push(t("cli.status.current", { number: here.number, title: here.title, file: `lessons/${here.slug}/exercise.ts` }));
  lines.push(pc.dim(t("cli.status.inTerminal")));
  return lines.join("\n");
}
