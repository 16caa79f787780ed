// Is a Docker engine answering, as Testcontainers sees it? The answer decides LocalStack or moto,
// so it comes from Testcontainers' own container-runtime detection (DOCKER_HOST,
// ~/.testcontainers.properties, /var/run/docker.sock, rootless sockets, Windows' named pipe):
// the workshop never picks an engine that Testcontainers would not use, nor misses one it would.
// Testcontainers takes about half a second to import, so a quick look first asks whether any of
// its strategies could apply at all (the same conditions it checks); when none can, there is no
// engine for it either, and nothing is imported.
import { existsSync } from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import { join } from "node:path";
import type { ContainerRuntimeClient } from "testcontainers";

/** The places Testcontainers' strategies look, in its order; true when one of them could apply. */
export function dockerMayBeConfigured(env = process.env, platform = process.platform): boolean {
  if (env.DOCKER_HOST) return true; // ConfigurationStrategy
  if (existsSync(join(homedir(), ".testcontainers.properties"))) return true; // tc.host, docker.host
  if (platform === "win32") return true; // NpipeSocketStrategy
  if (platform !== "linux" && platform !== "darwin") return false;
  let uid: number | undefined;
  try {
    uid = userInfo().uid;
  } catch {
    uid = undefined;
  }
  const sockets = [
    "/var/run/docker.sock", // UnixSocketStrategy
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "docker.sock") : "", // RootlessUnixSocketStrategy
    join(homedir(), ".docker", "run", "docker.sock"),
    join(homedir(), ".docker", "desktop", "docker.sock"),
    uid === undefined ? "" : join("/run", "user", String(uid), "docker.sock"),
  ];
  return sockets.some((s) => s && existsSync(s));
}

export interface DockerEngine {
  client: ContainerRuntimeClient;
  /** How Testcontainers reaches it, e.g. "unix:///var/run/docker.sock". */
  uri: string;
}

let found: Promise<DockerEngine | undefined> | undefined;

/**
 * The engine Testcontainers would use, or undefined. Asked once per process (Testcontainers keeps
 * its client); an engine that does not answer within timeoutMs counts as none.
 */
export function dockerEngine(timeoutMs = 4000): Promise<DockerEngine | undefined> {
  found ??= (async () => {
    if (!dockerMayBeConfigured()) return undefined;
    const { getContainerRuntimeClient } = await import("testcontainers");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    try {
      const client = await Promise.race([getContainerRuntimeClient(), timeout]);
      if (!client) return undefined;
      return { client, uri: dockerUri(client) };
    } catch {
      return undefined; // "Could not find a working container runtime strategy"
    } finally {
      clearTimeout(timer);
    }
  })();
  return found;
}

function dockerUri(client: ContainerRuntimeClient): string {
  // The strategy's URI is not kept on the client; the modem it built knows where it connects.
  const modem = (client.container.dockerode as unknown as { modem: { socketPath?: string; host?: string; port?: string | number } }).modem;
  if (modem.socketPath) return process.platform === "win32" ? `npipe://${modem.socketPath.replace(/\\/g, "/")}` : `unix://${modem.socketPath}`;
  return `tcp://${modem.host}:${modem.port}`;
}

/** The engine's address in one line ("unix:///var/run/docker.sock"), or undefined when none answers. */
export async function findDockerEngine(timeoutMs = 4000): Promise<string | undefined> {
  return (await dockerEngine(timeoutMs))?.uri;
}

/** Testcontainers' reaper, as Testcontainers names it (RYUK_CONTAINER_IMAGE moves it). */
export function ryukImage(): string {
  return process.env.RYUK_CONTAINER_IMAGE || "testcontainers/ryuk:0.14.0";
}

/** Is this image on the engine already? Asked before anything tries to pull it. */
export async function imagePresent(engine: DockerEngine, image: string): Promise<boolean> {
  const { ImageName } = await import("testcontainers");
  try {
    return await engine.client.image.exists(ImageName.fromString(image));
  } catch {
    return false;
  }
}

/** Pulls an image (for `npm run setup`); rejects with the engine's reason. */
export async function pullImage(engine: DockerEngine, image: string): Promise<void> {
  const { ImageName } = await import("testcontainers");
  await engine.client.image.pull(ImageName.fromString(image), { force: false, platform: undefined });
}

// Every container the workshop starts carries these labels, so that one left behind by a process
// that was killed (kill -9, a crash) is found and removed by the next start, whatever ryuk did.
export const OWNER_LABEL = "no-toca-boton.owner";
export function ownerValue(pid = process.pid): string {
  return `${hostname()}:${pid}`;
}
export function ownerLabels(): Record<string, string> {
  return { [OWNER_LABEL]: ownerValue(), "no-toca-boton": "emulator" };
}

function ownerGone(owner: string): boolean {
  const [host, pid] = [owner.slice(0, owner.lastIndexOf(":")), Number(owner.slice(owner.lastIndexOf(":") + 1))];
  if (host !== hostname() || !Number.isInteger(pid)) return false; // another machine's: not ours to judge
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "EPERM";
  }
}

/** The workshop's containers on this engine (running or not), with their owner label. */
export async function workshopContainers(engine: DockerEngine): Promise<Array<{ id: string; owner: string; state: string }>> {
  const list = await engine.client.container.dockerode.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  return list.map((c) => ({ id: c.Id, owner: c.Labels?.[OWNER_LABEL] ?? "", state: c.State }));
}

/** Removes a container, running or not, with its anonymous volumes; a container already gone is fine. */
export async function removeContainer(engine: DockerEngine, id: string): Promise<void> {
  await engine.client.container.dockerode
    .getContainer(id)
    .remove({ force: true, v: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
}

/** Removes every container this process started (at once: for Ctrl-C, also while one is still starting). */
export async function removeOwnContainers(engine: DockerEngine): Promise<void> {
  const list = await engine.client.container.dockerode.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${ownerValue()}`] } });
  await Promise.all(list.map((c) => removeContainer(engine, c.Id).catch(() => {})));
}

/** Removes the workshop's containers whose owning process is gone. Returns how many. */
export async function sweepLeftovers(engine: DockerEngine): Promise<number> {
  let removed = 0;
  try {
    for (const c of await workshopContainers(engine)) {
      if (!ownerGone(c.owner)) continue;
      await removeContainer(engine, c.id).then(() => (removed += 1), () => {});
    }
  } catch {
    // A sweep that cannot list is no reason to stop a check.
  }
  return removed;
}
