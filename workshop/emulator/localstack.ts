// LocalStack in Docker, through Testcontainers' LocalStack module. What it guarantees:
//   - nothing is downloaded by a check: the image must be on the engine already (`npm run setup`
//     pulls it), unless LocalStack was asked for by name (WORKSHOP_EMULATOR=localstack);
//   - the port is published on 127.0.0.1 only, unless a host is asked for (the classroom case);
//   - the container never outlives this process: the stop is awaited on exit and on signals
//     (index.ts), a watchdog removes it if this process dies without stopping it, Testcontainers'
//     reaper (ryuk) does the same when its image is there, and the next start sweeps away any
//     container of the workshop whose process is gone.
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { imagePresent, ownerLabels, ownerValue, removeContainer, ryukImage, sweepLeftovers, type DockerEngine } from "./docker";
import { EmulatorSetupError } from "./moto";
import { t } from "../i18n";

export const LOCALSTACK_DEFAULT_IMAGE = "localstack/localstack:4.14.0";

export function localStackImage(): string {
  return process.env.LOCALSTACK_IMAGE || LOCALSTACK_DEFAULT_IMAGE;
}

/** LocalStack cannot start here; when it was not asked for by name, the workshop uses moto instead. */
export class LocalStackUnavailable extends Error {
  override name = "LocalStackUnavailable";
}

export interface LocalStackOptions {
  host?: string;
  port?: number;
  /** WORKSHOP_EMULATOR=localstack or --kind localstack: a failure is an error, and a missing image is pulled. */
  explicit: boolean;
}

export interface StartedLocalStack {
  endpoint: string;
  description: string;
  containerId: string;
  stop(): Promise<void>;
}

/** Is this address one of this machine's own? (Listening on it works only then, even on an interface that is down.) */
function ownAddress(address: string): Promise<boolean> {
  if (address === "localhost") return Promise.resolve(true);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

/**
 * Can this process reach the engine's published ports on its own loopback? Yes for a local engine
 * (Docker Desktop, a Linux socket), also when Testcontainers names a bridge address of this very
 * machine (it does where /.dockerenv exists). No for a remote engine or from inside a dev container.
 */
function engineIsLocal(engine: DockerEngine): Promise<boolean> {
  return ownAddress(engine.client.info.containerRuntime.host);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0].slice(0, 300);
}

let watchdog: Promise<void> | undefined;
/** One watchdog per process, started before its first container (see watchdog.mjs). */
function startWatchdog(engine: DockerEngine): Promise<void> {
  watchdog ??= new Promise((resolve) => {
    const script = fileURLToPath(new URL("./watchdog.mjs", import.meta.url));
    try {
      const child = spawn(process.execPath, [script, String(process.pid), ownerValue()], {
        detached: true,
        stdio: "ignore",
        env: { ...process.env, DOCKER_HOST: engine.uri },
      });
      child.once("error", () => resolve());
      child.once("spawn", () => resolve());
      child.unref();
    } catch {
      resolve();
    }
  });
  return watchdog;
}

/**
 * Removes this process's containers before returning, blocking: for process exit and signals,
 * where an await could be cut short (Vitest, for one, exits 1 ms after SIGINT or SIGTERM).
 */
export function removeOwnContainersNow(engine: DockerEngine): void {
  const script = fileURLToPath(new URL("./watchdog.mjs", import.meta.url));
  spawnSync(process.execPath, [script, "--now", ownerValue()], { stdio: "ignore", timeout: 20_000, env: { ...process.env, DOCKER_HOST: engine.uri } });
}

export async function startLocalStack(engine: DockerEngine, options: LocalStackOptions): Promise<StartedLocalStack> {
  const image = localStackImage();
  await sweepLeftovers(engine);
  const present = await imagePresent(engine, image);
  if (!present && !options.explicit) {
    throw new LocalStackUnavailable(t("emulator.localstack.noImage", { image }));
  }
  // The reaper: used when its image is here; otherwise the workshop's own guarantees stand alone
  // (a check never waits for a download, and a pull of ryuk offline would stop everything).
  if (process.env.TESTCONTAINERS_RYUK_DISABLED !== "true" && !(await imagePresent(engine, ryukImage()))) {
    process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  }
  // Ryuk removes a session's containers this long after its process is gone (its default is 10 s).
  process.env.TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT ??= "3s";

  const { LocalstackContainer } = await import("@testcontainers/localstack");
  // Publish on one interface only: LocalStack has no authentication, and a laptop at a
  // conference shares its network with strangers.
  const local = await engineIsLocal(engine);
  const bindTo = options.host && options.host !== "127.0.0.1" && options.host !== "localhost" ? options.host : "127.0.0.1";
  class WorkshopLocalStack extends LocalstackContainer {
    publishOn(ip: string): this {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) {
        for (const binding of bindings) binding.HostIp = ip;
      }
      return this;
    }
  }
  let container = new WorkshopLocalStack(image)
    .withLabels(ownerLabels())
    // The lessons' own HTTP endpoints (lesson 05's SNS subscriber) run on this machine: let the
    // container reach them by name, and tell the lessons which name to advertise.
    .withExtraHosts([{ host: "host.docker.internal", ipAddress: "host-gateway" }]);
  process.env.SNS_SUBSCRIBER_HOST ??= "host.docker.internal";
  if (process.env.LOCALSTACK_AUTH_TOKEN) container = container.withEnvironment({ LOCALSTACK_AUTH_TOKEN: process.env.LOCALSTACK_AUTH_TOKEN });
  if (options.port !== undefined) container = container.withExposedPorts({ container: 4566, host: options.port });
  if (local) container = container.publishOn(bindTo === "0.0.0.0" ? "0.0.0.0" : bindTo);

  await startWatchdog(engine);
  console.error(t(present ? "emulator.localstack.starting" : "emulator.localstack.downloading", { image }));
  let started;
  try {
    started = await container.start();
  } catch (err) {
    const why = firstLine(err);
    const reaper = /ryuk|reaper/i.test(String((err as Error)?.message)) ? t("emulator.localstack.reaper", { image: ryukImage() }) : "";
    const failed = t("emulator.localstack.failed", { image, reaper, why });
    if (!options.explicit) throw new LocalStackUnavailable(failed);
    throw new EmulatorSetupError(
      `${failed}\n` +
        (present ? t("emulator.localstack.failedFix") : t("emulator.localstack.failedNoImage", { image })) +
        (image === LOCALSTACK_DEFAULT_IMAGE ? "" : `\n${t("emulator.localstack.authToken", { image: LOCALSTACK_DEFAULT_IMAGE })}`),
    );
  }
  const containerId = started.getId();
  const endpoint = local ? `http://${bindTo === "0.0.0.0" ? "127.0.0.1" : bindTo}:${started.getPort()}` : started.getConnectionUri();
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    containerId,
    description: t("emulator.describe.localstack", { image, endpoint }),
    stop() {
      stopping ??= (async () => {
        try {
          await started.stop({ timeout: 0 });
        } catch {
          await removeContainer(engine, containerId).catch(() => {});
        }
      })();
      return stopping;
    },
  };
}
