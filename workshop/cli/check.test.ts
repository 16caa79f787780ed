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

  test("two lessons named: both are checked, each with its verdict; the untouched exercises fail, naming the first TODO and where it is", () => {
    const run = project.cli(["check", "1", "02"]);
    expect(run.status, show(run)).toBe(1);
    expect(run.stdout).toContain("Lesson 01-buckets: your exercise");
    expect(run.stdout).toContain("Lesson 02-queues: your exercise");
    expect(run.stdout).toContain("✗ 0 of 2 checks pass. (core 0/1 · stretch 0/1)");
    expect(run.stdout, "named by lesson.json's step").toContain("Next thing to do: TODO 1: Create a bucket");
    expect(run.stdout).toContain("at lessons/01-buckets/exercise.ts:5");
    expect(run.stdout).toContain("Next thing to do: TODO 1: Create a queue");
    expect(run.stdout).toContain("0 of 2 lessons pass (your exercises).");
    expect(project.progress().lessons["01-buckets"]).toMatchObject({ status: "failing", step: 1, core: { passed: 0, total: 1 }, stretch: { passed: 0, total: 1 } });
    expect(project.progress().lessons["02-queues"].status).toBe("failing");
  });

  test("without a lesson it checks the current one; a passing exercise is complete, and the table says so", () => {
    project.solve("01-buckets");
    const run = project.cli(["check", "--json"]);
    expect(run.status, show(run)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lesson: "01-buckets", target: "exercise", ok: true, passed: 2, failed: 0, typeErrors: [], core: { passed: 1, total: 1, done: true } });
    expect(project.progress().lessons["01-buckets"].status).toBe("complete");
    const table = project.cli(["list"]);
    expect(table.stdout).toMatch(/01 +buckets +Buckets +✓ complete +core 1\/1 · stretch 1\/1/);
    expect(table.stdout).toMatch(/02 +queues +Queues +✗ failing +steps 0\/1/);
    expect(table.stdout).toContain("1/2 lessons done");
  });

  test("an unknown lesson lists the lessons (exit 2)", () => {
    const unknown = project.cli(["check", "9"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('There is no lesson "9"');
    expect(unknown.stderr).toContain("01  01-buckets  Buckets");
  });
});

