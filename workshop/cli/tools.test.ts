// hint, reset and solution, run as a process without a terminal, on a throwaway copy of the
// workshop with two small lessons of its own.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURE_LESSONS, makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

const show = (run: { stdout: string; stderr: string }) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

describe("hint", { timeout: 180_000 }, () => {
  test("gives the hints one at a time, then says that was the last", () => {
    const hints = FIXTURE_LESSONS["01-buckets"].meta.hints;
    const first = project.cli(["hint", "buckets"]);
    expect(first.status, show(first)).toBe(0);
    expect(first.stdout).toContain(`Hint 1 of 3: ${hints[0]}`);
    expect(first.stdout).not.toContain(hints[1]);
    const second = project.cli(["hint", "01"]);
    expect(second.stdout).toContain(`Hint 2 of 3: ${hints[1]}`);
    expect(second.stdout, "earlier hints stay in view").toContain(hints[0]);
    const third = project.cli(["hint", "01"]);
    expect(third.stdout).toContain(`Hint 3 of 3: ${hints[2]}`);
    expect(third.stdout).toContain("That is the last hint");
    expect(project.progress().lessons["01-buckets"].hintsShown).toBe(3);
    expect(project.cli(["hint", "01", "--reset"]).status).toBe(0);
    expect(project.cli(["hint", "01"]).stdout).not.toContain("Hint 2");
  });
});

describe("reset", { timeout: 180_000 }, () => {
  const slug = "02-queues";
  test("without --yes and without a terminal, it asks for --yes and changes nothing", () => {
    writeFileSync(project.exercise(slug), "// my own work\n");
    const run = project.cli(["reset", "02"]);
    expect(run.status, show(run)).toBe(1);
    expect(run.stderr).toContain("add --yes");
    expect(readFileSync(project.exercise(slug), "utf8")).toBe("// my own work\n");
  });

  test("with --yes it restores the untouched exercise and keeps a backup of yours", () => {
    const run = project.cli(["reset", "02-queues", "--yes"]);
    expect(run.status, show(run)).toBe(0);
    expect(readFileSync(project.exercise(slug), "utf8")).toBe(FIXTURE_LESSONS[slug].exercise);
    const backup = /Your version is kept in (\S+\.ts)\./.exec(run.stdout)?.[1];
    expect(backup, run.stdout).toMatch(/^\.workshop[\\/]backups[\\/]02-queues-.+\.ts$/);
    expect(readFileSync(join(project.root, backup!), "utf8")).toBe("// my own work\n");
    const again = project.cli(["reset", "02", "--yes"]);
    expect(again.stdout).toContain("already the untouched exercise");
  });

  test("a reset lesson starts over: done becomes not started", () => {
    // As a passing check leaves it (check.test.ts covers that part).
    mkdirSync(join(project.root, ".workshop"), { recursive: true });
    writeFileSync(join(project.root, ".workshop", "progress.json"), JSON.stringify({ current: "01-buckets", lessons: { "01-buckets": { status: "done" } } }));
    writeFileSync(project.exercise("01-buckets"), FIXTURE_LESSONS["01-buckets"].solution);
    expect(project.cli(["list"]).stdout).toMatch(/01 +buckets +Buckets +✓ done/);
    expect(project.cli(["reset", "01", "-y"]).status).toBe(0);
    expect(project.progress().lessons["01-buckets"].status).toBeUndefined();
    expect(project.cli(["list"]).stdout).toMatch(/01 +buckets +Buckets +· not started/);
  });

  test("without git it says that reset needs the git checkout, and changes nothing", () => {
    const bare = makeProject({ git: false });
    try {
      writeFileSync(bare.exercise("01-buckets"), "// mine\n");
      const run = bare.cli(["reset", "01", "--yes"]);
      expect(run.status, show(run)).toBe(2);
      expect(run.stderr).toContain("reset needs the workshop's git checkout");
      expect(run.stderr).toContain("Nothing was changed");
      expect(readFileSync(bare.exercise("01-buckets"), "utf8")).toBe("// mine\n");
      expect(existsSync(join(bare.root, ".workshop", "backups"))).toBe(false);
    } finally {
      bare.remove();
    }
  });
});

describe("solution", { timeout: 180_000 }, () => {
  test("without --yes and without a terminal, it shows nothing", () => {
    const run = project.cli(["solution", "02"]);
    expect(run.status, show(run)).toBe(1);
    expect(run.stdout).not.toContain("CreateQueueCommand({");
  });

  test("with --yes it shows the difference between your exercise and the solution", () => {
    const run = project.cli(["solution", "02", "--yes"]);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain("--- lessons/02-queues/exercise.ts (yours)");
    expect(run.stdout).toContain("+++ solutions/02-queues/solution.ts");
    expect(run.stdout).toContain('-  todo(1, "create the queue with CreateQueueCommand and return its URL");');
    expect(run.stdout).toContain("+  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));");
  });
});

