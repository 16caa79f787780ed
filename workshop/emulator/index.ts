// The emulator and its lifecycle. One resolution, used alike by the tests, the CLI and an exercise run with tsx:
//   1. AWS_ENDPOINT_URL is set: use it as is (after the safety check).
//   2. A shared emulator started with `npm run emulator` answers: reuse it.
//   3. A Docker engine answers: LocalStack through Testcontainers.
//   4. Otherwise moto's server, installed on first use into .workshop/moto-venv.
// WORKSHOP_EMULATOR=moto|localstack skips the detection and asks for one of them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import getPort from "get-port";
import { findDockerEngine } from "./docker";
import { EmulatorSetupError, ensureMotoInstalled, spawnMoto } from "./moto";
import { SHARED_EMULATOR_FILE, STATE_DIR } from "../paths";
import { assertSafeTarget, realAwsAllowed } from "../clients/safety";
import { joinedRoom } from "../classroom/joined";

export const LOCALSTACK_DEFAULT_IMAGE = "localstack/localstack:4.14.0";

export type EmulatorKind = "endpoint" | "shared" | "localstack" | "moto" | "aws";

export interface Emulator {
  kind: EmulatorKind;
  /** undefined only for real AWS, which needs WORKSHOP_REAL_AWS=1. */
  endpoint: string | undefined;
  description: string;
  /** Stops the emulator if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface SharedEmulatorState {
  endpoint: string;
  pid: number;
  kind: "localstack" | "moto";
  startedAt: string;
}

export { EmulatorSetupError };

/**
 * Does anything answer HTTP at this endpoint within timeoutMs? Any status counts as an answer.
 * LocalStack's health path answers at once even while a service behind "/" is still loading;
 * moto and other servers answer it with a quick 404, which is just as good. An emulator that is
 * down refuses the connection at once; the timeout only bounds one that hangs, and is generous
 * because a busy moto (a whole test suite on two cores) can take a few seconds to answer.
 */
export async function ping(endpoint: string, timeoutMs = 5000): Promise<boolean> {
  try {
    await fetch(new URL("/_localstack/health", endpoint), { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

export function emulatorDownMessage(endpoint: string, source: string): string {
  return (
    `The emulator at ${endpoint} (${source}) does not answer.\n` +
    `  - If you meant to use it, start it: \`npm run emulator\` in another terminal, or \`docker compose up -d\`.\n` +
    `  - Or unset AWS_ENDPOINT_URL, and the workshop starts an emulator of its own for each run.`
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readSharedState(): SharedEmulatorState | undefined {
  if (!existsSync(SHARED_EMULATOR_FILE)) return undefined;
  try {
    const state = JSON.parse(readFileSync(SHARED_EMULATOR_FILE, "utf8")) as SharedEmulatorState;
    if (!pidAlive(state.pid)) {
      rmSync(SHARED_EMULATOR_FILE, { force: true });
      return undefined;
    }
    return state;
  } catch {
    return undefined;
  }
}

export function writeSharedState(state: SharedEmulatorState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(SHARED_EMULATOR_FILE, JSON.stringify(state, null, 2) + "\n");
}

export function clearSharedState(pid = process.pid): void {
  const state = existsSync(SHARED_EMULATOR_FILE) ? (JSON.parse(readFileSync(SHARED_EMULATOR_FILE, "utf8")) as SharedEmulatorState) : undefined;
  if (state?.pid === pid) rmSync(SHARED_EMULATOR_FILE, { force: true });
}

/** Is this TCP port free on 127.0.0.1? */
export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

// Everything this process started, stopped when it ends: normally, on Ctrl-C or on a crash.
const running = new Set<() => void>();
let exitHooked = false;
function stopOnExit(kill: () => void): () => void {
  running.add(kill);
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const k of running) k();
    });
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(signal, () => {
        for (const k of running) k();
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
    }
  }
  return () => running.delete(kill);
}

export interface StartOptions {
  kind?: "moto" | "localstack";
  host?: string;
  port?: number;
}

/** Starts a new emulator owned by this process (never reuses one). */
export async function startEmulator(options: StartOptions = {}): Promise<Emulator & { kind: "moto" | "localstack" }> {
  const forced = options.kind ?? (process.env.WORKSHOP_EMULATOR as StartOptions["kind"] | undefined);
  if (forced && forced !== "moto" && forced !== "localstack") {
    throw new EmulatorSetupError(`WORKSHOP_EMULATOR must be "moto" or "localstack", not "${forced}".`);
  }
  let kind = forced;
  if (!kind) kind = (await findDockerEngine()) ? "localstack" : "moto";
  if (options.port !== undefined && !(await portFree(options.port, options.host))) {
    const busy = `http://${options.host ?? "127.0.0.1"}:${options.port}`;
    throw new EmulatorSetupError(
      `Port ${options.port} is already in use.` +
        ((await ping(busy)) ? ` Something answers at ${busy}: if it is an emulator, use it with AWS_ENDPOINT_URL=${busy}.` : "") +
        `\nChoose another port with --port, or stop what is using it.`,
    );
  }
  return kind === "localstack" ? startLocalStack(options) : startMoto(options);
}

async function startMoto(options: StartOptions): Promise<Emulator & { kind: "moto" }> {
  await ensureMotoInstalled();
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await getPort({ host }));
  const moto = await spawnMoto(host, port);
  const unhook = stopOnExit(() => moto.child.kill());
  if (!(await ping(moto.endpoint, 5000))) {
    moto.child.kill();
    throw new EmulatorSetupError(`moto started but does not answer at ${moto.endpoint}.`);
  }
  return {
    kind: "moto",
    endpoint: moto.endpoint,
    description: `moto's server at ${moto.endpoint}`,
    async stop() {
      unhook();
      if (moto.child.exitCode === null) {
        const exited = new Promise((resolve) => moto.child.once("exit", resolve));
        moto.child.stdin?.end();
        moto.child.kill();
        await exited;
      }
    },
  };
}

async function startLocalStack(options: StartOptions): Promise<Emulator & { kind: "localstack" }> {
  // Loaded only when Docker is there: Testcontainers is large and moto users never need it.
  const { LocalstackContainer } = await import("@testcontainers/localstack");
  const image = process.env.LOCALSTACK_IMAGE || LOCALSTACK_DEFAULT_IMAGE;
  console.error(`Starting LocalStack (${image}) in Docker; the first run pulls the image…`);
  // The lessons' own HTTP endpoints (lesson 05's SNS subscriber) run on this machine: let the
  // container reach them by name, and tell the lessons which name to advertise.
  let container = new LocalstackContainer(image).withExtraHosts([{ host: "host.docker.internal", ipAddress: "host-gateway" }]);
  process.env.SNS_SUBSCRIBER_HOST ??= "host.docker.internal";
  if (process.env.LOCALSTACK_AUTH_TOKEN) container = container.withEnvironment({ LOCALSTACK_AUTH_TOKEN: process.env.LOCALSTACK_AUTH_TOKEN });
  if (options.port !== undefined) container = container.withExposedPorts({ container: 4566, host: options.port });
  let started;
  try {
    started = await container.start();
  } catch (err) {
    throw new EmulatorSetupError(
      `LocalStack (${image}) did not start: ${(err as Error).message}\n` +
        `Images newer than ${LOCALSTACK_DEFAULT_IMAGE} need LOCALSTACK_AUTH_TOKEN. Or run without Docker: WORKSHOP_EMULATOR=moto.`,
    );
  }
  const endpoint = started.getConnectionUri();
  const unhook = stopOnExit(() => void started.stop().catch(() => {}));
  return {
    kind: "localstack",
    endpoint,
    description: `LocalStack (${image}) at ${endpoint}`,
    async stop() {
      unhook();
      await started.stop();
    },
  };
}

/**
 * The one resolution. Sets AWS_ENDPOINT_URL for this process (and so for its children)
 * to what it found, so that every client and every test worker agrees.
 */
export async function useEmulator(): Promise<Emulator> {
  const fromEnv = process.env.AWS_ENDPOINT_URL;
  if (fromEnv) {
    assertSafeTarget(fromEnv);
    if (!(await ping(fromEnv))) throw new EmulatorSetupError(emulatorDownMessage(fromEnv, "from AWS_ENDPOINT_URL"));
    return { kind: "endpoint", endpoint: fromEnv, description: `the emulator at ${fromEnv} (AWS_ENDPOINT_URL)`, stop: async () => {} };
  }
  const room = joinedRoom(); // `npm start -- join`: the room's door, until `npm start -- leave`
  if (room) {
    if (!(await ping(room.endpoint))) throw new EmulatorSetupError(emulatorDownMessage(room.endpoint, `room ${room.code}: is the classroom running? \`npm start -- leave\` returns to a local emulator`));
    process.env.AWS_ENDPOINT_URL = room.endpoint;
    return { kind: "endpoint", endpoint: room.endpoint, description: `room ${room.code}'s emulator at ${room.endpoint} (as ${room.name})`, stop: async () => {} };
  }
  if (realAwsAllowed()) {
    return { kind: "aws", endpoint: undefined, description: "real AWS (WORKSHOP_REAL_AWS=1): this costs money", stop: async () => {} };
  }
  const shared = readSharedState();
  if (shared) {
    if (!(await ping(shared.endpoint))) {
      throw new EmulatorSetupError(emulatorDownMessage(shared.endpoint, `started by \`npm run emulator\`, process ${shared.pid}`));
    }
    process.env.AWS_ENDPOINT_URL = shared.endpoint;
    return { kind: "shared", endpoint: shared.endpoint, description: `the shared ${shared.kind} at ${shared.endpoint} (npm run emulator)`, stop: async () => {} };
  }
  const emulator = await startEmulator();
  process.env.AWS_ENDPOINT_URL = emulator.endpoint;
  return {
    ...emulator,
    async stop() {
      if (process.env.AWS_ENDPOINT_URL === emulator.endpoint) delete process.env.AWS_ENDPOINT_URL;
      await emulator.stop();
    },
  };
}
