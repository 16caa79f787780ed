// The subcommands, run as a process without a terminal (as a script or CI would), on a
// throwaway copy of the workshop with two small lessons of its own.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURE_LESSONS, makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

const ESC = "\x1b[";
const show = (run: { stdout: string; stderr: string }) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

describe("npm start without a terminal", { timeout: 180_000 }, () => {
  test("prints the status table and a progress line, and exits 0", () => {
    const run = project.cli([]);
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toMatch(/▸ 01 +buckets +Buckets +· not started/);
    expect(run.stdout).toMatch(/ {2}02 +queues +Queues +· not started/);
    expect(run.stdout).toContain("[░░░░░░░░░░░░░░░░░░░░] 0/2 lessons done");
    expect(run.stdout).toContain("Current lesson: 01 Buckets");
    expect(run.stdout, "NO_COLOR=1: no colour codes").not.toContain(ESC);
  });

  test("colours follow NO_COLOR and FORCE_COLOR", () => {
    const run = project.cli(["list"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain(ESC);
  });

  test("`npm start | cat`: npm's own start script, output to a pipe", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["start", "--silent"], { cwd: project.root, env: project.env(), encoding: "utf8", shell: process.platform === "win32", timeout: 60_000 });
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toMatch(/01 +buckets/);
    expect(run.stdout).toContain("0/2 lessons done");
  });

  test("an unknown command says so and shows the help", () => {
    const run = project.cli(["chek"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/unknown command 'chek'/);
  });
});

describe("check", { timeout: 180_000 }, () => {
  // Each check is a Vitest run: three of them cover every case, to keep the suite quick.
  test("checking the reference solution passes and is not progress; a lesson is named by name, slug or number", () => {
    const run = project.cli(["check", "queues", "--solution", "--json"]);
    expect(run.status, show(run)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lesson: "02-queues", target: "solution", ok: true, passed: 1 });
    expect(project.progress().lessons["02-queues"]?.status, "--solution must not count as the attendee's progress").toBeUndefined();
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

describe("hint", { timeout: 180_000 }, () => {
  test("gives the hints one at a time, then says that was the last", () => {
    const hints = FIXTURE_LESSONS["01-buckets"].meta.hints;
    const first = project.cli(["hint", "01"]);
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
    const run = project.cli(["reset", "02", "--yes"]);
    expect(run.status, show(run)).toBe(0);
    expect(readFileSync(project.exercise(slug), "utf8")).toBe(FIXTURE_LESSONS[slug].exercise);
    const backup = /Your version is kept in (\S+\.ts)\./.exec(run.stdout)?.[1];
    expect(backup, run.stdout).toMatch(/^\.workshop[\\/]backups[\\/]02-queues-.+\.ts$/);
    expect(readFileSync(join(project.root, backup!), "utf8")).toBe("// my own work\n");
    const again = project.cli(["reset", "02", "--yes"]);
    expect(again.stdout).toContain("already the untouched exercise");
  });

  test("a reset lesson starts over: done becomes not started", () => {
    expect(project.progress().lessons["01-buckets"].status).toBe("done");
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

describe("emulator and cleanup without an emulator", { timeout: 180_000 }, () => {
  test("emulator status: none running is exit 1", () => {
    const status = project.cli(["emulator", "status"], { env: { AWS_ENDPOINT_URL: undefined } });
    expect(status.status, show(status)).toBe(1);
    expect(status.stdout).toContain("No shared emulator is running");
  });

  test("emulator start shares one emulator that status sees and stop ends", async () => {
    const port = await getPort({ host: "127.0.0.1" });
    const server = project.start(["emulator", "start", "--port", String(port), "--kind", "moto"], { AWS_ENDPOINT_URL: undefined });
    try {
      await server.waitFor(/is running/, 0, 60_000);
      const status = project.cli(["emulator", "status"], { env: { AWS_ENDPOINT_URL: undefined } });
      expect(status.status, show(status)).toBe(0);
      expect(status.stdout).toContain(`running: moto at http://127.0.0.1:${port}`);
      const table = project.cli(["cleanup", "--dry-run"], { env: { AWS_ENDPOINT_URL: undefined } });
      expect(table.stdout, "cleanup uses the shared emulator").toContain(`http://127.0.0.1:${port}`);
      const stop = project.cli(["emulator", "stop"]);
      expect(stop.status, show(stop)).toBe(0);
      const ended = await Promise.race([server.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      expect(ended, "the emulator's process ends after `emulator stop`").toBe(true);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  test("cleanup with no emulator running has nothing to clean", () => {
    const run = project.cli(["cleanup"], { env: { AWS_ENDPOINT_URL: undefined } });
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain("nothing to clean");
  });

  test("cleanup refuses an endpoint that is not local (exit 2)", () => {
    const run = project.cli(["cleanup"], { env: { AWS_ENDPOINT_URL: "https://s3.amazonaws.com" } });
    expect(run.status, show(run)).toBe(2);
    expect(run.stderr).toContain("it is not a local emulator");
  });
});
