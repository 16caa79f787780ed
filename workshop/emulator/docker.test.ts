// The Docker path on a real engine, as an attendee meets it: a check through Testcontainers,
// `npm run emulator` with LocalStack, Ctrl-C, SIGTERM and kill -9, an engine with no images
// (offline), the reaper's image missing, and the compose recipe with lesson 05.
// The engine is DOCKER_HOST's (with LocalStack's images, e.g. `eval "$(../shared/docker-lab/up)"`);
// the offline test uses WORKSHOP_TEST_EMPTY_DOCKER_HOST (an engine with no images at all, e.g.
// `DOCKER_LAB_DIR=/tmp/docker-lab-empty ../shared/docker-lab/up --no-images`). Where an engine is
// missing, its tests are reported as skipped with the reason, never passed.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, test, type TestContext } from "vitest";
import { waitFor } from "../check/wait";
import { ROOT } from "../paths";
import { LOCALSTACK_DEFAULT_IMAGE } from "./localstack";
import { OWNER_LABEL } from "./docker";

const scratch = mkdtempSync(join(tmpdir(), "nt-docker-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function engineAt(uri: string | undefined): Docker | undefined {
  if (!uri) return undefined;
  if (uri.startsWith("unix://")) return new Docker({ socketPath: uri.slice("unix://".length) });
  if (uri.startsWith("npipe://")) return new Docker({ socketPath: uri.slice("npipe://".length) });
  const url = new URL(uri.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
}

async function answers(docker: Docker | undefined): Promise<boolean> {
  if (!docker) return false;
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000))]);
    return true;
  } catch {
    return false;
  }
}

async function hasImage(docker: Docker, image: string): Promise<boolean> {
  return docker.getImage(image).inspect().then(() => true, () => false);
}

const LAB = process.env.DOCKER_HOST;
const EMPTY = process.env.WORKSHOP_TEST_EMPTY_DOCKER_HOST;
const lab = engineAt(LAB);
const empty = engineAt(EMPTY);
let labSkip: string | undefined;
let emptySkip: string | undefined;

beforeAll(async () => {
  if (!LAB) labSkip = "no Docker engine: DOCKER_HOST is not set (`eval \"$(../shared/docker-lab/up)\"` gives one)";
  else if (!(await answers(lab))) labSkip = `no Docker engine answers at DOCKER_HOST=${LAB}`;
  else if (!(await hasImage(lab!, LOCALSTACK_DEFAULT_IMAGE))) labSkip = `the engine at ${LAB} has no ${LOCALSTACK_DEFAULT_IMAGE} (\`npm run setup\` pulls it)`;
  if (!EMPTY) emptySkip = "no engine without images: WORKSHOP_TEST_EMPTY_DOCKER_HOST is not set (`up --no-images` gives one)";
  else if (!(await answers(empty))) emptySkip = `no Docker engine answers at WORKSHOP_TEST_EMPTY_DOCKER_HOST=${EMPTY}`;
  else if (await hasImage(empty!, LOCALSTACK_DEFAULT_IMAGE)) emptySkip = `the engine at ${EMPTY} has ${LOCALSTACK_DEFAULT_IMAGE}: it is not offline-and-empty`;
  // Said once, plainly, beside Vitest's own "skipped" marks.
  for (const reason of new Set([labSkip, emptySkip].filter(Boolean))) console.warn(`Docker tests skipped: ${reason}`);
});

function needLab(ctx: TestContext): Docker {
  if (labSkip) ctx.skip(labSkip);
  return lab!;
}

/** The environment of a learner's shell with Docker: no endpoint, no choice made, state kept apart. */
function learnerEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WORKSHOP_STATE_DIR: join(scratch, "state"), NO_COLOR: "1" };
  for (const name of ["AWS_ENDPOINT_URL", "LESSON_TARGET", "WORKSHOP_EMULATOR", "SNS_SUBSCRIBER_HOST", "TESTCONTAINERS_RYUK_DISABLED", "WORKSHOP_RUN_ID"]) delete env[name];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface Run {
  pid: number;
  out: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** The CLI as its own node process (so its pid is the one that owns the containers). */
function cli(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "workshop/cli/index.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { pid: child.pid!, out: () => out, exited, kill: (signal) => child.kill(signal) };
}

async function finished(run: Run, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const code = await Promise.race([run.exited, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs))]);
  if (code === "timeout") {
    run.kill("SIGKILL");
    throw new Error(`The command did not finish within ${timeoutMs / 1000} s. It said:\n${run.out()}`);
  }
  return { code, out: run.out() };
}

/** The containers a process of the workshop started (by the label every one carries). */
async function containersOf(docker: Docker, pid: number) {
  return docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${hostname()}:${pid}`] } });
}

const reapers = (docker: Docker) => docker.listContainers({ all: true, filters: { label: ["org.testcontainers.ryuk=true"] } }).then((l) => l.map((c) => c.Id));

/**
 * Nothing the workshop started is left: its LocalStack containers right away, Testcontainers'
 * reaper once its few seconds of grace are over (unless it was there before: then it is shared
 * with another run, such as this test run's own emulator, and not ours to judge).
 */
async function expectNothingLeft(docker: Docker, pid: number, reapersBefore: string[]): Promise<void> {
  expect((await containersOf(docker, pid)).map((c) => `${c.Image} ${c.Status}`), "the workshop's containers right after it ended").toEqual([]);
  await waitFor(
    "Testcontainers' reaper to leave after the run",
    async () => ((await reapers(docker)).every((id) => reapersBefore.includes(id)) ? true : undefined),
    { timeoutMs: 9000 },
  );
}

describe("LocalStack through Testcontainers", () => {
  test("docker: a check through Testcontainers: every solution passes on LocalStack, and nothing is left", async (ctx) => {
    const docker = needLab(ctx);
    const before = await reapers(docker);
    const run = cli(["check", "--all", "--solution"], learnerEnv());
    const { code, out } = await finished(run, 14 * 60_000);
    expect(code, out).toBe(0);
    expect(out).toContain(`Starting LocalStack (${LOCALSTACK_DEFAULT_IMAGE}) in Docker`);
    expect(out).toMatch(/(\d+) of \1 lessons pass/);
    await expectNothingLeft(docker, run.pid, before);
  }, 15 * 60_000);

  test("docker: the port is published on 127.0.0.1 only; `npm run emulator` stays up, is reused, and `emulator stop` leaves no container", async (ctx) => {
    const docker = needLab(ctx);
    const before = await reapers(docker);
    const port = await getPort({ port: [4611, 4612, 4613] });
    const env = learnerEnv({ WORKSHOP_STATE_DIR: join(scratch, "shared-state") });
    const emulator = cli(["emulator", "start", "--kind", "localstack", "--port", String(port)], env);
    try {
      await waitFor("`npm run emulator` to say LocalStack runs", async () => (emulator.out().includes("emulator stop") ? true : undefined), { timeoutMs: 180_000 });
      expect(emulator.out()).toContain(`LocalStack (${LOCALSTACK_DEFAULT_IMAGE}) at http://127.0.0.1:${port} is running`);
      const [container] = await containersOf(docker, emulator.pid);
      expect(container, "a LocalStack container labelled as the emulator's").toBeDefined();
      const published = container.Ports.filter((p) => p.PrivatePort === 4566 && p.PublicPort).map((p) => `${p.IP}:${p.PublicPort}`);
      expect(published, "LocalStack's port is published on loopback only").toEqual([`127.0.0.1:${port}`]);

      // Still up well after it started (it used to exit 3 s later).
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect(await Promise.race([emulator.exited.then(() => "exited"), Promise.resolve("running")]), emulator.out()).toBe("running");

      const check = await finished(cli(["check", "05", "--solution"], env), 180_000);
      expect(check.code, check.out).toBe(0);
      expect(check.out).toContain(`the shared localstack at http://127.0.0.1:${port}`);

      const stop = await finished(cli(["emulator", "stop"], env), 60_000);
      expect(stop.code, stop.out).toBe(0);
      expect(await finished(emulator, 5000).then((r) => r.code)).not.toBeNull();
      await expectNothingLeft(docker, emulator.pid, before);
    } finally {
      emulator.kill("SIGKILL");
    }
  }, 6 * 60_000);

  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    test(`docker: ${signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal === "SIGTERM" ? "SIGTERM" : "kill -9"} during a check leaves no container`, async (ctx) => {
      const docker = needLab(ctx);
      const before = await reapers(docker);
      const run = cli(["check", "04", "--solution"], learnerEnv());
      // SIGINT once LocalStack is up and the tests run (a test runner in the process has its own
      // handlers then); SIGTERM and kill -9 while it is still starting.
      const ready = (status: string) => (signal === "SIGINT" ? /\(healthy\)/.test(status) : true);
      await waitFor("the check's LocalStack container", async () => ((await containersOf(docker, run.pid)).some((c) => ready(c.Status)) ? true : undefined), { timeoutMs: 120_000 });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      run.kill(signal);
      await finished(run, 30_000);
      if (signal === "SIGKILL") {
        // Nothing in the process can run: the watchdog removes what it owned.
        await waitFor("the watchdog to remove the container of the killed check", async () => ((await containersOf(docker, run.pid)).length === 0 ? true : undefined), { timeoutMs: 9000 });
      }
      await expectNothingLeft(docker, run.pid, before);
    }, 4 * 60_000);
  }

  test("docker: without the reaper's image, LocalStack runs without ryuk and still leaves nothing", async (ctx) => {
    const docker = needLab(ctx);
    const before = await reapers(docker);
    const run = cli(["check", "04", "--solution"], learnerEnv({ RYUK_CONTAINER_IMAGE: "testcontainers/ryuk:0.0.0-absent" }));
    const { code, out } = await finished(run, 4 * 60_000);
    expect(code, out).toBe(0);
    expect(out).toContain("against LocalStack");
    expect((await reapers(docker)).filter((id) => !before.includes(id)), "no reaper was started").toEqual([]);
    await expectNothingLeft(docker, run.pid, before);
  }, 5 * 60_000);
});

describe("an engine with no images (offline, never pulled)", () => {
  test("docker: a check falls back to moto at once and says why; asked for by name, LocalStack's failure is an error naming the image", async (ctx) => {
    if (emptySkip) ctx.skip(emptySkip);
    const env = learnerEnv({ DOCKER_HOST: EMPTY });
    const check = await finished(cli(["check", "04", "--solution"], env), 180_000);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain("against moto's server");
    expect(check.out).toContain(`LocalStack's image ${LOCALSTACK_DEFAULT_IMAGE} is not on this machine`);
    expect(check.out).toContain("WORKSHOP_EMULATOR=localstack");

    const forced = await finished(cli(["check", "04", "--solution"], { ...env, WORKSHOP_EMULATOR: "localstack" }), 180_000);
    expect(forced.code, forced.out).toBe(2);
    expect(forced.out).toContain(`LocalStack (${LOCALSTACK_DEFAULT_IMAGE}) did not start`);
    expect(forced.out).toContain("npm run setup");
    expect(await empty!.listContainers({ all: true }), "nothing left on the empty engine").toEqual([]);
  }, 6 * 60_000);
});

function composeCommand(): string[] | undefined {
  if (spawnSync("docker-compose", ["version"], { encoding: "utf8" }).status === 0) return ["docker-compose"];
  if (spawnSync("docker", ["compose", "version"], { encoding: "utf8" }).status === 0) return ["docker", "compose"];
  return undefined;
}

describe("the compose recipe", () => {
  test("docker: `docker compose up -d` with the README's recipe passes lesson 05 (its HTTP subscriber), then `down -v` leaves nothing", async (ctx) => {
    const docker = needLab(ctx);
    const compose = composeCommand();
    if (!compose) ctx.skip("neither docker-compose nor `docker compose` is installed");
    // A copy of the project's compose file and init hooks, so that its project name is this test's own.
    const dir = join(scratch, "compose");
    cpSync(join(ROOT, "docker-compose.yml"), join(dir, "docker-compose.yml"));
    cpSync(join(ROOT, "localstack"), join(dir, "localstack"), { recursive: true });
    const port = await getPort({ port: [4614, 4615, 4616] });
    const project = `nt-compose-${process.pid}`;
    const env = { ...process.env, LOCALSTACK_PORT: String(port) };
    const run = (args: string[]) => spawnSync(compose![0], [...compose!.slice(1), "-p", project, ...args], { cwd: dir, env, encoding: "utf8", timeout: 180_000 });
    try {
      const up = run(["up", "-d"]);
      expect(up.status, up.stdout + up.stderr).toBe(0);
      const endpoint = `http://localhost:${port}`;
      // Each probe bounded: while the container starts, Docker's port proxy may accept a connection and never answer it.
      const health = () => fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok || undefined, () => undefined);
      await waitFor(`LocalStack of compose at ${endpoint}`, health, { timeoutMs: 120_000 });
      const check = await finished(cli(["check", "05", "--solution"], learnerEnv({ AWS_ENDPOINT_URL: endpoint, SNS_SUBSCRIBER_HOST: "host.docker.internal" })), 180_000);
      expect(check.code, check.out).toBe(0);
      expect(check.out).toContain(`against the emulator at ${endpoint} (AWS_ENDPOINT_URL)`);
    } finally {
      const down = run(["down", "-v"]);
      expect(down.status, down.stdout + down.stderr).toBe(0);
    }
    expect(await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } })).toEqual([]);
  }, 8 * 60_000);
});
