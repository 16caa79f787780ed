// Is a Docker engine answering? Asked quickly (the answer decides LocalStack or moto),
// without starting anything.
import http from "node:http";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
}

function candidates(env = process.env): Target[] {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost) {
    if (dockerHost.startsWith("unix://")) return [{ socketPath: dockerHost.slice("unix://".length) }];
    if (dockerHost.startsWith("npipe://")) return [{ socketPath: dockerHost.slice("npipe://".length).replace(/\//g, "\\") }];
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    return [{ host: url.hostname, port: Number(url.port || 2375) }];
  }
  if (process.platform === "win32") return [{ socketPath: "\\\\.\\pipe\\docker_engine" }];
  const sockets = [
    "/var/run/docker.sock",
    join(homedir(), ".docker/run/docker.sock"),
    join(homedir(), ".docker/desktop/docker.sock"),
    join(homedir(), ".colima/default/docker.sock"),
    join(homedir(), ".rd/docker.sock"),
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "docker.sock") : "",
  ];
  return sockets.filter((s) => s && existsSync(s)).map((socketPath) => ({ socketPath }));
}

function ping(target: Target, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ ...target, path: "/_ping", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** The first Docker engine that answers /_ping, or undefined. */
export async function findDockerEngine(timeoutMs = 1500): Promise<string | undefined> {
  for (const target of candidates()) {
    if (await ping(target, timeoutMs)) return target.socketPath ?? `tcp://${target.host}:${target.port}`;
  }
  return undefined;
}
