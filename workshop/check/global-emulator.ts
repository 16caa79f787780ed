// Vitest global setup: resolve one emulator for the whole test run (reusing AWS_ENDPOINT_URL
// or a shared `npm run emulator`, otherwise starting one), give the run one id, and when the
// run ends, prove that it left nothing behind in the emulator.
import { spawnSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import type { ServiceReport } from "../cli/cleanup";
import { useEmulator, type Emulator } from "../emulator";
import { ensureMotoInstalled, findPython, motoInstalled } from "../emulator/moto";
import { newRunId } from "../lesson";
import { ROOT } from "../paths";
import { t } from "../i18n";

/**
 * `npm start -- cleanup --run <id>` in a child process: importing every AWS client through
 * Vitest's module runner here would add seconds to the start of every test run.
 */
function removeLeftovers(runId: string, endpoint: string): string[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", "workshop/cli/index.ts", "cleanup", "--run", runId, "--json", "--yes"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, AWS_ENDPOINT_URL: endpoint },
    timeout: 120_000,
  });
  if (run.status !== 0 && !run.stdout.trim().startsWith("{")) {
    return [`(could not look for leftovers: ${run.stderr.trim() || run.error?.message})`];
  }
  const { services } = JSON.parse(run.stdout) as { services: ServiceReport[] };
  return services.flatMap((r) => [...r.removed, ...r.failed.map((f) => `could not remove ${f}`)].map((what) => `${r.service}: ${what}`));
}

declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
    emulatorDescription: string;
    runId: string;
  }
}

// With projects, Vitest loads this file once per project (separate module instances) in the
// same process: keep the run's state on globalThis, so the emulator is resolved once and the
// leftovers are looked for once, after the last project.
interface RunState {
  users: number;
  shared?: Promise<{ emulator: Emulator; runId: string }>;
}
const state: RunState = ((globalThis as Record<symbol, RunState>)[Symbol.for("no-toca-boton.test-run")] ??= { users: 0 });

export default async function setup(project: TestProject) {
  state.users += 1;
  state.shared ??= (async () => {
    // The harness's own tests run moto in child processes (WORKSHOP_EMULATOR=moto): install it
    // once here, before any test's timeout starts, also when this run itself uses LocalStack.
    if (!motoInstalled() && findPython()) await ensureMotoInstalled().catch((err: Error) => console.error(err.message));
    let emulator: Emulator;
    try {
      emulator = await useEmulator();
    } catch (err) {
      // test-all.ts reads this to say that no test ran, and why.
      process.env.WORKSHOP_EMULATOR_FAILED = (err as Error).message;
      throw err;
    }
    if (!emulator.endpoint) throw new Error(t("check.suite.onlyEmulator"));
    console.log(t("check.suite.against", { emulator: emulator.description }));
    // Every name a test makes carries this id (uniqueName), so the run's leftovers can be found.
    const runId = process.env.WORKSHOP_RUN_ID ?? newRunId();
    process.env.WORKSHOP_RUN_ID = runId;
    return { emulator, runId };
  })();
  const { emulator, runId } = await state.shared;
  project.provide("awsEndpoint", emulator.endpoint!);
  project.provide("emulatorDescription", emulator.description);
  project.provide("runId", runId);
  return async () => {
    state.users -= 1;
    if (state.users > 0) return;
    state.shared = undefined;
    try {
      // Scoped to this run: other runs sharing the emulator are not ours to judge or remove.
      const leftovers = removeLeftovers(runId, emulator.endpoint!);
      // test-all.ts runs Vitest in this same process and counts this verdict as a check of its own.
      process.env.WORKSHOP_LEFTOVERS = JSON.stringify(leftovers);
      if (leftovers.length > 0) {
        throw new Error(`${t("check.suite.leftBehindRemoved")}\n  ${leftovers.join("\n  ")}`);
      }
    } finally {
      await emulator.stop();
    }
  };
}
