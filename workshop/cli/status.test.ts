// The subcommands that need no lesson check, run as a process without a terminal (as a script
// or CI would), on a throwaway copy of the workshop with two small lessons of its own:
// the status table of `npm start | cat`, list, the emulator, cleanup without an emulator.
// (The CLI's tests are split in several files so that Vitest runs them side by side.)
import { spawnSync } from "node:child_process";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

const show = (run: { stdout: string; stderr: string }) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

const ESC = "\x1b[";

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
