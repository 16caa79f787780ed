// Exercism's rule: the tests must bite. Every untouched exercise must fail its check and
// name a TODO; an exercise the attendee has already changed is skipped, not judged.
// All the untouched exercises are checked in one Vitest run in a child process, as
// `npm run check` would check each of them (without the type check: npm test runs tsc on them all).
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckResult } from "./index";
import { listLessons, rel } from "../lessons";
import { ROOT } from "../paths";

function touched(file: string): boolean {
  try {
    execFileSync("git", ["diff", "--quiet", "HEAD", "--", file], { cwd: ROOT, stdio: "ignore" });
    return false;
  } catch (err) {
    // Exit 1: the file differs from the last commit. Anything else (no git, no commits): treat as untouched.
    return (err as { status?: number }).status === 1;
  }
}

const lessons = listLessons();
const untouched = lessons.filter((lesson) => !touched(lesson.exercise));
const results = new Map<string, CheckResult>();

beforeAll(() => {
  if (untouched.length === 0) return;
  const url = (file: string) => JSON.stringify(pathToFileURL(join(ROOT, file)).href);
  const script = `
    const { runChecks } = await import(${url("workshop/check/index.ts")});
    const { findLesson } = await import(${url("workshop/lessons.ts")});
    const results = await runChecks(${JSON.stringify(untouched.map((l) => l.slug))}.map(findLesson), { target: "exercise", typecheck: false });
    console.log(JSON.stringify(results));
    process.exitCode = 0;
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, LESSON_TARGET: "exercise" },
    timeout: 300_000,
  });
  expect(run.status, run.stderr).toBe(0);
  for (const result of JSON.parse(run.stdout.trim().split("\n").at(-1)!) as CheckResult[]) results.set(result.lesson, result);
});

describe("every untouched exercise fails its check and names a TODO", () => {
  for (const lesson of lessons) {
    test.skipIf(touched(lesson.exercise))(`${lesson.slug}: ${rel(lesson.exercise)} fails`, () => {
      const result = results.get(lesson.slug)!;
      expect(result.ok).toBe(false);
      expect(result.loadError, "the untouched exercise should load: only its TODOs are missing").toBeUndefined();
      expect(result.failed).toBeGreaterThan(0);
      expect(result.nextTodo?.n, `the first failure should name a TODO; it said: ${result.failures[0]?.message}`).toBe(1);
      expect(result.nextTodo!.location).toMatch(new RegExp(`^lessons/${lesson.slug}/exercise\\.ts:\\d+$`));
      // Every failure of an untouched exercise is a TODO not done yet, never a crash of the test itself.
      const notTodo = result.failures.filter((f) => !f.todo);
      expect(notTodo, `failures that name no TODO: ${notTodo.map((f) => `${f.test}: ${f.message}`).join("\n")}`).toEqual([]);
    });
  }
});
