// The emulator and its lifecycle. One resolution, used alike by the tests, the CLI and an exercise run with tsx:
//   1. AWS_ENDPOINT_URL is set: use it as is (after the safety check).
//   2. A shared emulator started with `npm run emulator` answers: reuse it.
//   3. A Docker engine answers (as Testcontainers finds one) and LocalStack can start there:
//      LocalStack through Testcontainers (localstack.ts). When it cannot (its image is not on the
//      machine, the engine fails), moto instead, with one line saying why: nobody is stranded.
//   4. Otherwise moto's server, installed on first use into .workshop/moto-venv.
// WORKSHOP_EMULATOR=moto|localstack skips the detection and asks for one of them; only a
// LocalStack asked for by name makes its failure an error.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import getPort from "get-port";
import { dockerEngine, removeOwnContainers, type DockerEngine } from "./docker";
import { LOCALSTACK_DEFAULT_IMAGE, LocalStackUnavailable, localStackImage, removeOwnContainersNow, startLocalStack } from "./localstack";
import { EmulatorSetupError, ensureMotoInstalled, spawnMoto } from "./moto";
import { SHARED_EMULATOR_FILE, STATE_DIR } from "../paths";
import { assertSafeTarget, realAwsAllowed } from "../clients/safety";
import { joinedRoom } from "../classroom/joined";
import { t } from "../i18n";

export { LOCALSTACK_DEFAULT_IMAGE, localStackImage };

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
  return t("emulator.down", { endpoint, source });
}

export function pidAlive(pid: number): boolean {
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

/** Throws the file system's error (explained by explainStateError) when .workshop/ cannot be written: asked before starting anything. */
export function assertStateWritable(): void {
  mkdirSync(STATE_DIR, { recursive: true });
  const probe = join(STATE_DIR, `.write-test-${process.pid}`);
  writeFileSync(probe, "");
  rmSync(probe, { force: true });
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

// Everything this process started, stopped when it ends. On Ctrl-C, SIGTERM or SIGHUP the stops
// are awaited before the process exits (a container stop is a request to Docker, which must be
// heard); on a plain exit or a crash nothing can be awaited, so each emulator's own guarantee
// takes over (moto is a child process that is killed; LocalStack has its watchdog and ryuk).
interface Running {
  stop(): Promise<void>;
  /** Synchronous, for process exit. */
  kill(): void;
}
const running = new Set<Running>();
let exitHooked = false;
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
function stopOnExit(entry: Running): () => void {
  running.add(entry);
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const r of running) r.kill();
    });
    for (const signal of Object.keys(SIGNAL_CODES) as Array<keyof typeof SIGNAL_CODES>) {
      process.on(signal, () => {
        if (stoppingForSignal) process.exit(SIGNAL_CODES[signal]); // a second Ctrl-C: leave now
        stoppingForSignal = true;
        // First what must not be cut short, synchronously (another listener may exit the process
        // right after this tick); then the stops that can be awaited.
        for (const r of running) r.kill();
        const all = Promise.allSettled([...running].map((r) => r.stop()));
        const bound = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
        void Promise.race([all, bound]).then(() => process.exit(SIGNAL_CODES[signal]));
      });
    }
  }
  return () => running.delete(entry);
}
let stoppingForSignal = false;

export interface StartOptions {
  kind?: "moto" | "localstack";
  host?: string;
  port?: number;
  /** Called with the reason when LocalStack cannot start and moto is used instead (default: one line on stderr). */
  onFallback?: (reason: string) => void;
}

/** The line that says why moto runs although Docker answers, and how to choose. */
export function fallbackMessage(reason: string): string {
  return t("emulator.fallback", { reason });
}

function requestedKind(options: StartOptions): "moto" | "localstack" | undefined {
  const forced = options.kind ?? (process.env.WORKSHOP_EMULATOR || undefined);
  if (forced && forced !== "moto" && forced !== "localstack") {
    throw new EmulatorSetupError(t("emulator.kind.invalid", { value: forced }));
  }
  return forced as "moto" | "localstack" | undefined;
}

/** Starts a new emulator owned by this process (never reuses one). */
export async function startEmulator(options: StartOptions = {}): Promise<Emulator & { kind: "moto" | "localstack" }> {
  const forced = requestedKind(options);
  if (options.port !== undefined && !(await portFree(options.port, options.host))) {
    const busy = `http://${options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1"}:${options.port}`;
    const answers = await ping(busy);
    throw new EmulatorSetupError(
      `${t(answers ? "emulator.port.busyAnswers" : "emulator.port.busy", { port: options.port, url: busy })}\n${t("emulator.port.busyFix")}`,
    );
  }
  if (forced === "moto") return startMoto(options);
  const engine = await dockerEngine();
  if (!engine) {
    if (forced === "localstack") {
      throw new EmulatorSetupError(t("emulator.localstack.noDocker"));
    }
    return startMoto(options);
  }
  try {
    return await startLocalStackEmulator(engine, options, forced === "localstack");
  } catch (err) {
    if (!(err instanceof LocalStackUnavailable)) throw err;
    (options.onFallback ?? ((reason: string) => console.error(fallbackMessage(reason))))(err.message);
    return startMoto(options);
  }
}

async function startMoto(options: StartOptions): Promise<Emulator & { kind: "moto" }> {
  await ensureMotoInstalled();
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await getPort({ host }));
  const moto = await spawnMoto(host, port);
  const stop = async () => {
    unhook();
    if (moto.child.exitCode === null && moto.child.signalCode === null) {
      const exited = new Promise((resolve) => moto.child.once("exit", resolve));
      moto.child.stdin?.end();
      moto.child.kill();
      await exited;
    }
  };
  const unhook = stopOnExit({ stop, kill: () => moto.child.kill() });
  if (!(await ping(moto.endpoint, 5000))) {
    moto.child.kill();
    throw new EmulatorSetupError(t("emulator.moto.noAnswer", { endpoint: moto.endpoint }));
  }
  return { kind: "moto", endpoint: moto.endpoint, description: t("emulator.describe.moto", { endpoint: moto.endpoint }), stop };
}

async function startLocalStackEmulator(engine: DockerEngine, options: StartOptions, explicit: boolean): Promise<Emulator & { kind: "localstack" }> {
  // Registered before the container starts: a Ctrl-C while LocalStack is still starting removes
  // it too. On exit and on signals the removal blocks until done; if this process is killed, the
  // watchdog (localstack.ts) removes it.
  const unhook = stopOnExit({ stop: () => removeOwnContainers(engine), kill: () => removeOwnContainersNow(engine) });
  let started;
  try {
    started = await startLocalStack(engine, { host: options.host, port: options.port, explicit });
  } catch (err) {
    unhook();
    throw err;
  }
  return {
    kind: "localstack",
    endpoint: started.endpoint,
    description: started.description,
    async stop() {
      await started.stop();
      unhook();
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
    if (!(await ping(fromEnv))) throw new EmulatorSetupError(emulatorDownMessage(fromEnv, t("emulator.down.fromEnv")));
    return { kind: "endpoint", endpoint: fromEnv, description: t("emulator.describe.endpoint", { endpoint: fromEnv }), stop: async () => {} };
  }
  const room = joinedRoom(); // `npm start -- join`: the room's door, until `npm start -- leave`
  if (room) {
    if (!(await ping(room.endpoint))) throw new EmulatorSetupError(emulatorDownMessage(room.endpoint, t("emulator.down.room", { code: room.code })));
    process.env.AWS_ENDPOINT_URL = room.endpoint;
    return { kind: "endpoint", endpoint: room.endpoint, description: t("emulator.describe.room", { code: room.code, endpoint: room.endpoint, name: room.name }), stop: async () => {} };
  }
  if (realAwsAllowed()) {
    return { kind: "aws", endpoint: undefined, description: t("emulator.describe.aws"), stop: async () => {} };
  }
  const shared = readSharedState();
  if (shared) {
    if (!(await ping(shared.endpoint))) {
      throw new EmulatorSetupError(emulatorDownMessage(shared.endpoint, t("emulator.down.shared", { pid: shared.pid })));
    }
    process.env.AWS_ENDPOINT_URL = shared.endpoint;
    // A LocalStack in Docker reaches this machine's HTTP subscribers (lesson 05) by this name.
    if (shared.kind === "localstack") process.env.SNS_SUBSCRIBER_HOST ??= "host.docker.internal";
    return { kind: "shared", endpoint: shared.endpoint, description: t("emulator.describe.shared", { kind: shared.kind, endpoint: shared.endpoint }), stop: async () => {} };
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
