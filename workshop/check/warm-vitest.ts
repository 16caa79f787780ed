// One Vitest kept for a long session (the dashboard, `watch`, `npm run emulator`): a check after
// a save reuses it instead of starting Vitest again. Before each run, what a run may change is
// set anew: the environment its test workers get, and every module Vitest transformed whose file
// changed on disk since (so that a saved file is read again, never served from its last transform).
import { statSync } from "node:fs";
import type { Vitest } from "vitest/node";
import { createVitest } from "vitest/node";

function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return "missing";
  }
}

type CreateOptions = Parameters<typeof createVitest>[1];

export class WarmVitest {
  private current: { key: string; vitest: Promise<Vitest> } | undefined;
  /** file → "mtime:size" when it was last transformed for a run. */
  private readonly stamps = new Map<string, string>();

  /** The session's Vitest for these options (made again when anything but `env` differs), ready for a run with `env`. */
  async get(options: CreateOptions & { env: Record<string, string> }): Promise<Vitest> {
    const { env, ...rest } = options;
    const key = JSON.stringify(rest);
    if (this.current?.key !== key) {
      await this.close();
      this.stamps.clear();
      this.current = { key, vitest: createVitest("test", { ...rest, env }, { logLevel: "silent" }) };
    }
    const vitest = await this.current.vitest.catch(async (err: Error) => {
      this.current = undefined;
      throw err;
    });
    for (const config of [vitest.config, ...vitest.projects.map((p) => p.config)]) {
      for (const k of Object.keys(config.env ?? {})) delete config.env[k];
      Object.assign((config.env ??= {}), env);
    }
    // Only the files that changed on disk since the last run (a save): the rest keep their transform.
    const files = new Set<string>();
    for (const project of vitest.projects) {
      for (const environment of Object.values(project.vite.environments)) for (const file of environment.moduleGraph.fileToModulesMap.keys()) files.add(file);
    }
    for (const file of files) {
      const stamp = stampOf(file);
      if (this.stamps.get(file) !== stamp) vitest.invalidateFile(file);
      this.stamps.set(file, stamp);
    }
    return vitest;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.vitest.then((v) => v.close()).catch(() => {});
  }
}
