// The quick look of docker.ts (is any of Testcontainers' strategies applicable at all?) agrees
// with Testcontainers' own strategies, so that skipping Testcontainers' import when it says
// "none" never misses an engine Testcontainers would find.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { RootlessUnixSocketStrategy } from "testcontainers/build/container-runtime/strategies/rootless-unix-socket-strategy";
import { UnixSocketStrategy } from "testcontainers/build/container-runtime/strategies/unix-socket-strategy";
import { NpipeSocketStrategy } from "testcontainers/build/container-runtime/strategies/npipe-socket-strategy";
import { dockerMayBeConfigured } from "./docker";

const scratch = mkdtempSync(join(tmpdir(), "nt-detect-"));
const home = process.env.HOME;
afterAll(() => {
  process.env.HOME = home;
  rmSync(scratch, { recursive: true, force: true });
});

/** Does any of Testcontainers' socket strategies apply, for this platform and environment? */
async function testcontainersApplies(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<boolean> {
  const strategies = [new UnixSocketStrategy(platform), new RootlessUnixSocketStrategy(platform, env), new NpipeSocketStrategy(platform)];
  for (const s of strategies) if (await s.getResult()) return true;
  return Boolean(env.DOCKER_HOST); // ConfigurationStrategy, from the environment
}

test("the quick look and Testcontainers' strategies agree, socket by socket", async () => {
  const cases: Array<{ name: string; platform: NodeJS.Platform; env: NodeJS.ProcessEnv; files?: string[] }> = [
    { name: "nothing at all", platform: "linux", env: {} },
    { name: "DOCKER_HOST", platform: "linux", env: { DOCKER_HOST: "tcp://127.0.0.1:2375" } },
    { name: "a rootless socket in XDG_RUNTIME_DIR", platform: "linux", env: { XDG_RUNTIME_DIR: join(scratch, "xdg") }, files: [join(scratch, "xdg", "docker.sock")] },
    { name: "Docker Desktop's socket in the home folder", platform: "darwin", env: {}, files: [join(scratch, "home", ".docker", "run", "docker.sock")] },
    { name: "Docker Desktop's other socket", platform: "linux", env: {}, files: [join(scratch, "home", ".docker", "desktop", "docker.sock")] },
    { name: "Windows' named pipe", platform: "win32", env: {} },
    { name: "another platform", platform: "freebsd", env: {} },
  ];
  for (const c of cases) {
    rmSync(join(scratch, "home"), { recursive: true, force: true });
    rmSync(join(scratch, "xdg"), { recursive: true, force: true });
    mkdirSync(join(scratch, "home"), { recursive: true });
    for (const f of c.files ?? []) {
      mkdirSync(join(f, ".."), { recursive: true });
      writeFileSync(f, "");
    }
    process.env.HOME = join(scratch, "home");
    expect(dockerMayBeConfigured(c.env, c.platform), c.name).toBe(await testcontainersApplies(c.platform, c.env));
  }
});
