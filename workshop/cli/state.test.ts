// An unwritable .workshop/ (as after a `sudo npm start`): every command says so in one plain
// sentence (what, why, what to do), without a stack trace, and leaves nothing half done.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { portFree } from "../emulator";
import { makeProject, type Project } from "./fixture";

let project: Project;
let state: string;
let locked: string | undefined;

/** Makes the folder unwritable: chmod for a user; for root (who ignores modes), the immutable flag. */
function lock(dir: string): string | undefined {
  const root = process.getuid?.() === 0;
  const run = root ? spawnSync("chattr", ["+i", dir], { encoding: "utf8" }) : spawnSync("chmod", ["a-w", dir], { encoding: "utf8" });
  if (run.status !== 0) return undefined;
  return root ? "chattr" : "chmod";
}

function unlock(dir: string): void {
  if (locked === "chattr") spawnSync("chattr", ["-i", dir]);
  if (locked === "chmod") spawnSync("chmod", ["u+w", dir]);
}

beforeAll(() => {
  project = makeProject();
  state = join(project.root, ".workshop");
  writeFileSync(join(state, "progress.json"), JSON.stringify({ lessons: {} }) + "\n");
  locked = lock(state);
});
afterAll(() => {
  unlock(state);
  project?.remove();
});

const SENTENCE = /The workshop cannot write to \.workshop\/ .* because .*; nothing was changed: give it back to yourself with `sudo chown -R "\$\(whoami\)" \.workshop` and run the command again\./;

function expectPlain(run: { stdout: string; stderr: string }): void {
  const said = run.stdout + run.stderr;
  expect(said).toMatch(SENTENCE);
  expect(said, "no stack trace").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(said).not.toContain("EPERM");
  expect(said).not.toContain("EACCES");
}

describe("an unwritable .workshop/", { timeout: 120_000 }, () => {
  const env = { WORKSHOP_STATE_DIR: undefined, WORKSHOP_EMULATOR: "moto" };

  test("hint says so in one sentence", (ctx) => {
    if (!locked) ctx.skip("this machine cannot make a folder unwritable (no chattr/chmod)");
    const run = project.cli(["hint", "01"], { env });
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expectPlain(run);
  });

  test("reset leaves the exercise as it was (nothing rewritten before the backup could be saved)", (ctx) => {
    if (!locked) ctx.skip("this machine cannot make a folder unwritable (no chattr/chmod)");
    const mine = readFileSync(project.exercise("01-buckets"), "utf8") + "\n// my own work\n";
    writeFileSync(project.exercise("01-buckets"), mine);
    const run = project.cli(["reset", "01", "--yes"], { env });
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expectPlain(run);
    expect(readFileSync(project.exercise("01-buckets"), "utf8"), "the attendee's exercise is untouched").toBe(mine);
  });

  test("emulator start refuses before starting anything", async (ctx) => {
    if (!locked) ctx.skip("this machine cannot make a folder unwritable (no chattr/chmod)");
    const port = await getPort();
    const run = project.cli(["emulator", "start", "--kind", "moto", "--port", String(port)], { env });
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expectPlain(run);
    expect(await portFree(port), "no emulator was left listening").toBe(true);
  });

  test("a check still gives its verdict, and says the progress was not saved", (ctx) => {
    if (!locked) ctx.skip("this machine cannot make a folder unwritable (no chattr/chmod)");
    const run = project.cli(["check", "01"], { env: { ...env, AWS_ENDPOINT_URL: inject("awsEndpoint") } });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain("Next thing to do: TODO 1");
    expect(run.stderr).toContain("Your progress was not saved.");
    expectPlain(run);
  });

  test("the status table (npm start without a terminal) still shows", (ctx) => {
    if (!locked) ctx.skip("this machine cannot make a folder unwritable (no chattr/chmod)");
    const run = project.cli([], { env });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("01");
  });
});
