// The harness as a learner meets it: run as processes, with a bad endpoint, an emulator
// that is down, a port in use, no Python, and a shared emulator that checks reuse.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import getPort from "get-port";
import { afterAll, describe, expect, test } from "vitest";
import { findDockerEngine } from "./docker";
import { ROOT } from "../paths";

const scratch = mkdtempSync(join(tmpdir(), "nt-harness-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of a learner's shell: no endpoint set, state kept apart from the real one. */
function learnerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WORKSHOP_STATE_DIR: join(scratch, "state"), NO_COLOR: "1" };
  delete env.AWS_ENDPOINT_URL;
  delete env.LESSON_TARGET;
  return { ...env, ...extra };
}

function cli(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...nodeArgs, "--import", "tsx", "workshop/cli/index.ts", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("a non-local endpoint", () => {
  test("is refused before any request is sent, with the way to opt in", () => {
    const requestLog = join(scratch, "requests.log");
    writeFileSync(requestLog, "");
    const run = cli(
      ["check", "04", "--solution"],
      learnerEnv({ AWS_ENDPOINT_URL: "https://s3.amazonaws.com", REQUEST_LOG: requestLog }),
      ["--import", join(ROOT, "workshop/check/fixtures/record-requests.mjs")],
    );
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain("Refusing to send anything to https://s3.amazonaws.com");
    expect(run.stderr).toContain("WORKSHOP_REAL_AWS=1");
    expect(readFileSync(requestLog, "utf8"), "requests sent before the refusal").toBe("");
  });
});

describe("an emulator that is down", () => {
  test("AWS_ENDPOINT_URL pointing at nothing: the check fails in seconds and says how to start one", async () => {
    const port = await getPort();
    const run = cli(["check", "04", "--solution"], learnerEnv({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }));
    expect(run.status).toBe(2);
    expect(run.error, "the check hung instead of failing").toBeUndefined();
    expect(run.stderr).toContain(`The emulator at http://127.0.0.1:${port} (from AWS_ENDPOINT_URL) does not answer`);
    expect(run.stderr).toContain("npm run emulator");
  });

  test("a shared emulator that stopped answering is reported, not waited on", async () => {
    const port = await getPort();
    const state = join(scratch, "stale-state");
    const env = learnerEnv({ WORKSHOP_STATE_DIR: state });
    spawnSync("mkdir", ["-p", state]);
    // A live process id (this test's) with an endpoint where nothing listens.
    writeFileSync(join(state, "emulator.json"), JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, pid: process.pid, kind: "moto", startedAt: "" }));
    const run = cli(["check", "04"], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("does not answer");
    expect(run.stderr).toContain("npm run emulator");
  });
});

test("a port in use is named, with what to do", async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const run = cli(["emulator", "start", "--port", String(port), "--kind", "moto"], learnerEnv());
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Port ${port} is already in use`);
    expect(run.stderr).toContain("--port");
  } finally {
    server.close();
  }
});

test("no Python and no Docker: the error says what to install", () => {
  // A PATH that holds node and nothing else, and a moto environment that does not exist yet.
  const bin = join(scratch, "bin-node-only");
  spawnSync("mkdir", ["-p", bin]);
  if (!existsSync(join(bin, "node"))) symlinkSync(process.execPath, join(bin, "node"));
  const env = learnerEnv({ PATH: bin, WORKSHOP_EMULATOR: "moto", WORKSHOP_MOTO_VENV: join(scratch, "no-venv") });
  delete env.WORKSHOP_PYTHON;
  const run = spawnSync(join(bin, "node"), ["--import", "tsx", "workshop/cli/setup.ts"], { cwd: ROOT, env, encoding: "utf8", timeout: 30_000 });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("no Python 3.9+ was found");
  expect(run.stderr).toContain("install Python 3");
  expect(existsSync(join(scratch, "no-venv")), "nothing should be half-installed").toBe(false);
});

test("no Docker engine at DOCKER_HOST is noticed quickly", async () => {
  const port = await getPort();
  const previous = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
  try {
    expect(await findDockerEngine(1000)).toBeUndefined();
  } finally {
    if (previous === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previous;
  }
});

test("`npm run emulator` starts a shared emulator that checks reuse, and stops cleanly", async () => {
  const port = await getPort();
  const state = join(scratch, "shared-state");
  // The check it takes proves that the shared emulator is reused, not the type check (check.test.ts
  // proves that): without it, the emulator's process skips a cold type check of lesson 04 (seconds of CPU).
  const env = learnerEnv({ WORKSHOP_STATE_DIR: state, WORKSHOP_TYPECHECK: "0" });
  const emulator = spawn(process.execPath, ["--import", "tsx", "workshop/cli/index.ts", "emulator", "start", "--port", String(port), "--kind", "moto"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => emulator.once("exit", resolve));
  try {
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${out}`)), 60_000);
      emulator.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("emulator stop")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(out).toContain(`AWS_ENDPOINT_URL=http://127.0.0.1:${port}`);
    expect(out).toContain("npm start -- emulator stop");

    const status = cli(["emulator", "status"], env);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`running: moto at http://127.0.0.1:${port}`);

    const check = cli(["check", "04", "--solution"], env);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`the shared moto at http://127.0.0.1:${port}`);

    const stop = cli(["emulator", "stop"], env);
    expect(stop.status).toBe(0);
    expect(await exited).not.toBeNull();
    expect(existsSync(join(state, "emulator.json")), "the shared emulator's state file is removed").toBe(false);
    const after = await fetch(`http://127.0.0.1:${port}`).then(() => "answers", () => "down");
    expect(after, "moto is stopped with the shared emulator").toBe("down");
  } finally {
    emulator.kill();
  }
});
