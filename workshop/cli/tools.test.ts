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
  const [todo1, todo2] = FIXTURE_LESSONS["01-buckets"].meta.todos;
  const progressFile = () => join(project.root, ".workshop", "progress.json");
  const at = (step: number | undefined) => {
    const progress = project.progress();
    progress.lessons["01-buckets"] = { ...progress.lessons["01-buckets"], status: "failing", ...(step === undefined ? {} : { step }) };
    writeFileSync(progressFile(), JSON.stringify(progress));
  };

  test("before any check: the first TODO's hints, one at a time, then that they are used up", () => {
    const first = project.cli(["hint", "buckets"]);
    expect(first.status, show(first)).toBe(0);
    expect(first.stdout).toContain("Hints for TODO 1 (Create a bucket):");
    expect(first.stdout).toContain(`Hint 1 of 2: ${todo1.hints[0]}`);
    expect(first.stdout).not.toContain(todo1.hints[1]);
    const second = project.cli(["hint", "01"]);
    expect(second.stdout).toContain(`Hint 2 of 2: ${todo1.hints[1]}`);
    expect(second.stdout, "earlier hints stay in view").toContain(todo1.hints[0]);
    expect(second.stdout).toContain("That is the last hint for TODO 1");
    const third = project.cli(["hint", "01"]);
    expect(third.stdout).toContain("The hints for TODO 1 (Create a bucket) are used up");
    expect(project.progress().lessons["01-buckets"].hints).toEqual({ "1": 2 });
  });

  test("at the step the last check named, that TODO's hints; --reset starts again", () => {
    at(2);
    const run = project.cli(["hint", "01"]);
    expect(run.stdout).toContain("Hints for TODO 2 (List the buckets):");
    expect(run.stdout).toContain(`Hint 1 of 1: ${todo2.hints[0]}`);
    expect(run.stdout).not.toContain(todo1.hints[0]);
    expect(project.cli(["hint", "01", "--reset"]).status).toBe(0);
    at(1);
    expect(project.cli(["hint", "01"]).stdout).toContain(`Hint 1 of 2: ${todo1.hints[0]}`);
  });

  test("hints wrap at word boundaries", () => {
    const meta = join(project.root, "lessons", "02-queues", "lesson.json");
    const long = "word ".repeat(60).trim();
    writeFileSync(meta, JSON.stringify({ ...FIXTURE_LESSONS["02-queues"].meta, todos: [{ n: 1, step: "Create a queue", function: "createQueue", core: true, hints: [long] }] }));
    const run = project.cli(["hint", "02"]);
    const lines = run.stdout.split("\n").filter((l) => l.includes("word"));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(100);
      expect(line.trimEnd()).toMatch(/(word|:)$/);
    }
    writeFileSync(meta, JSON.stringify(FIXTURE_LESSONS["02-queues"].meta));
  });

  test("an old lesson.json (top-level hints) still gives its hints", () => {
    const meta = join(project.root, "lessons", "02-queues", "lesson.json");
    writeFileSync(meta, JSON.stringify({ title: "Queues", summary: "Create a queue", hints: ["An old general hint."] }));
    const run = project.cli(["hint", "02"]);
    expect(run.stdout).toContain("Hint 1 of 1: An old general hint.");
    writeFileSync(meta, JSON.stringify(FIXTURE_LESSONS["02-queues"].meta));
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

  test("with --yes it shows the current TODO's function only, without the solution's own comments", () => {
    writeFileSync(
      project.solution("01-buckets"),
      FIXTURE_LESSONS["01-buckets"].solution.replace(
        "  const { Buckets = [] }",
        "  // #region slide:list\n  // a comment the learner never wrote\n  const { Buckets = [] }",
      ).replace("return Buckets.map((b) => b.Name!);", "return Buckets.map((b) => b.Name!);\n  // #endregion"),
    );
    const progress = project.progress();
    progress.lessons["01-buckets"] = { status: "failing", step: 2 };
    writeFileSync(join(project.root, ".workshop", "progress.json"), JSON.stringify(progress));
    const run = project.cli(["solution", "01", "--yes"]);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain("TODO 2 (List the buckets): the reference listBucketNames, from solutions/01-buckets/solution.ts");
    expect(run.stdout).toContain("const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));");
    expect(run.stdout, "only that function").not.toContain("CreateBucketCommand({");
    expect(run.stdout).not.toContain("#region");
    expect(run.stdout).not.toContain("never wrote");
    expect(run.stdout).toContain("npm start -- solution 01 --all");
    writeFileSync(project.solution("01-buckets"), FIXTURE_LESSONS["01-buckets"].solution);
  });

  test("--all shows the difference between your exercise and the solution", () => {
    const run = project.cli(["solution", "02", "--yes", "--all"]);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain("--- lessons/02-queues/exercise.ts (yours)");
    expect(run.stdout).toContain("+++ solutions/02-queues/solution.ts");
    expect(run.stdout).toContain('-  todo(1, "create the queue with CreateQueueCommand and return its URL");');
    expect(run.stdout).toContain("+  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));");
    expect(run.stdout, "the todo import is not a difference worth showing").not.toMatch(/^[-+]import \{ todo \}/m);
  });
});
