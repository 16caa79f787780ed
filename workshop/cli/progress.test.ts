// The progress store: survives restarts, never crashes on a damaged file, and never loses an
// update when two processes (the dashboard and an `npm run check`) write at once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { CheckResult } from "../check";
import type { Lesson } from "../lessons";
import { currentLesson, lessonStatus, readProgress, recordCheck, updateProgress } from "./progress";
import { progressBar } from "./ui";

const dir = mkdtempSync(join(tmpdir(), "nt-progress-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lesson = (slug: string) => ({ slug, number: slug.slice(0, 2), title: slug, summary: "", todos: [], generalHints: [], dir: "", exercise: "", solution: "" }) as Lesson;
const result = (slug: string, ok: boolean): CheckResult => ({
  lesson: slug, target: "exercise", file: "", emulator: "", ok, passed: ok ? 2 : 0, failed: ok ? 0 : 2, skipped: 0, failures: [], durationMs: 1,
  typeErrors: [], steps: [], core: { passed: ok ? 1 : 0, total: 1, done: ok }, stretch: { passed: 0, total: 0 },
});

describe("progress", () => {
  test("a missing file is no progress; a damaged one too, instead of a crash", () => {
    expect(readProgress(join(dir, "nothing.json"))).toEqual({ lessons: {} });
    const damaged = join(dir, "damaged.json");
    writeFileSync(damaged, "{ this is not json");
    expect(readProgress(damaged)).toEqual({ lessons: {} });
    writeFileSync(damaged, "null");
    expect(readProgress(damaged)).toEqual({ lessons: {} });
  });

  test("a lesson is done only when its last check passed", async () => {
    const file = join(dir, "checks.json");
    expect(lessonStatus(readProgress(file), "04-s3")).toBe("not started");
    await recordCheck(result("04-s3", false), file);
    expect(lessonStatus(readProgress(file), "04-s3")).toBe("failing");
    await recordCheck(result("04-s3", true), file);
    expect(lessonStatus(readProgress(file), "04-s3")).toBe("complete");
    expect(readProgress(file).lessons["04-s3"].lastChecked).toMatch(/^\d{4}-\d\d-\d\dT/);
    await recordCheck(result("04-s3", false), file);
    expect(lessonStatus(readProgress(file), "04-s3"), "a later failing check undoes done").toBe("failing");
  });

  test("updates made at the same time all land", async () => {
    const file = join(dir, "concurrent.json");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        updateProgress((p) => {
          p.lessons[`lesson-${i}`] = { hintsShown: i };
        }, file),
      ),
    );
    expect(Object.keys(readProgress(file).lessons).sort()).toHaveLength(12);
  });

  test("the current lesson: the saved one, else the first not done, else the last", () => {
    const lessons = [lesson("01-a"), lesson("02-b"), lesson("03-c")];
    expect(currentLesson(lessons, { lessons: {} })?.slug).toBe("01-a");
    expect(currentLesson(lessons, { current: "03-c", lessons: {} })?.slug).toBe("03-c");
    expect(currentLesson(lessons, { current: "09-gone", lessons: { "01-a": { status: "done" } } })?.slug).toBe("02-b");
    const allDone = { lessons: Object.fromEntries(lessons.map((l) => [l.slug, { status: "done" as const }])) };
    expect(currentLesson(lessons, allDone)?.slug).toBe("03-c");
    expect(currentLesson([], { lessons: {} })).toBeUndefined();
  });

  test("the progress bar shows done of total", () => {
    expect(progressBar(3, 7, 14).replace(/\x1b\[[0-9;]*m/g, "")).toBe("[██████░░░░░░░░] 3/7 lessons done");
    expect(progressBar(0, 0, 4).replace(/\x1b\[[0-9;]*m/g, "")).toBe("[░░░░] 0/0 lessons done");
  });
});
