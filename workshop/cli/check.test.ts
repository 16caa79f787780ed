// `check`, run as a process without a terminal, on a throwaway copy of the workshop with two
// small lessons of its own.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

const show = (run: { stdout: string; stderr: string }) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

describe("check", { timeout: 180_000 }, () => {
  // Each check is a Vitest run: three of them cover every case, to keep the suite quick.
  test("--all --solution checks every reference solution in one run, and is not progress", () => {
    const run = project.cli(["check", "--all", "--solution"]);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toMatch(/^✓ 01-buckets +2\/2/m);
    expect(run.stdout).toMatch(/^✓ 02-queues +1\/1/m);
    expect(run.stdout).toContain("2 of 2 lessons pass (reference solutions).");
    expect(project.progress().lessons, "checking solutions must not count as the attendee's progress").toEqual({});
  });

  test("without a lesson it checks the current one: the untouched exercise fails, naming the first TODO and where it is", () => {
    const run = project.cli(["check"]);
    expect(run.status, show(run)).toBe(1);
    expect(run.stdout).toContain("Lesson 01-buckets: your exercise");
    expect(run.stdout).toContain("✗ 0 of 2 checks pass.");
    expect(run.stdout).toContain("TODO 1: create the bucket with CreateBucketCommand");
    expect(run.stdout).toContain("at lessons/01-buckets/exercise.ts:5");
    expect(project.progress().lessons["01-buckets"].status).toBe("failing");
  });

  test("a passing exercise is done, and the table says so", () => {
    project.solve("01-buckets");
    const run = project.cli(["check", "1", "--json"]);
    expect(run.status, show(run)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lesson: "01-buckets", target: "exercise", ok: true, passed: 2, failed: 0 });
    expect(project.progress().lessons["01-buckets"].status).toBe("done");
    const table = project.cli(["list"]);
    expect(table.stdout).toMatch(/01 +buckets +Buckets +✓ done/);
    expect(table.stdout).toContain("1/2 lessons done");
  });

  test("an unknown lesson lists the lessons (exit 2)", () => {
    const unknown = project.cli(["check", "9"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('There is no lesson "9"');
    expect(unknown.stderr).toContain("01  01-buckets  Buckets");
  });
});

