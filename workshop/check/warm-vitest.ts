// One Vitest kept for a long session (the dashboard, `watch`, `npm run emulator`): a check after
// a save reuses it instead of starting Vitest again. Before each run, what a run may change is
// set anew: the environment its test workers get, and every module Vitest transformed (so that a
// saved file is read again, never served from its last transform).
import type { Vitest } from "vitest/node";
import { createVitest } from "vitest/node";

type CreateOptions = Parameters<typeof createVitest>[1];

export class WarmVitest {
  private current: { key: string; vitest: Promise<Vitest> } | undefined;

  /** The session's Vitest for these options (made again when anything but `env` differs), ready for a run with `env`. */
  async get(options: CreateOptions & { env: Record<string, string> }): Promise<Vitest> {
    const { env, ...rest } = options;
    const key = JSON.stringify(rest);
    if (this.current?.key !== key) {
      await this.close();
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
    for (const project of vitest.projects) {
      for (const environment of Object.values(project.vite.environments)) environment.moduleGraph.invalidateAll();
    }
    return vitest;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.vitest.then((v) => v.close()).catch(() => {});
  }
}
