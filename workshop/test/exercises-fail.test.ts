// Exercism's rule: the tests must bite. Every untouched exercise must fail its check and
// name a TODO; an exercise the attendee has already changed is skipped, not judged.
import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
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

describe("every untouched exercise fails its check and names a TODO", () => {
  for (const lesson of listLessons()) {
    test.skipIf(touched(lesson.exercise))(`${lesson.slug}: ${rel(lesson.exercise)} fails`, () => {
      const run = spawnSync(process.execPath, ["--import", "tsx", "workshop/cli.ts", "check", lesson.number, "--json"], {
        cwd: ROOT,
        encoding: "utf8",
        env: process.env,
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(1);
      const result = JSON.parse(run.stdout);
      expect(result.ok).toBe(false);
      expect(result.loadError, "the untouched exercise should load: only its TODOs are missing").toBeUndefined();
      expect(result.failed).toBeGreaterThan(0);
      expect(result.nextTodo?.n, "the first failure should name a TODO").toBeTypeOf("number");
      expect(result.nextTodo.location).toMatch(new RegExp(`^lessons/${lesson.slug}/exercise\\.ts:\\d+$`));
    });
  }
});
