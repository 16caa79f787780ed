// Vitest global setup: resolve one emulator for the whole test run (reusing AWS_ENDPOINT_URL
// or a shared `npm run emulator`, otherwise starting one), give the run one id, and when the
// run ends, prove that it left nothing behind in the emulator.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { cleanup } from "../cli/cleanup";
import { useEmulator, type Emulator } from "../emulator";

declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
    emulatorDescription: string;
    runId: string;
  }
}

// With projects, Vitest calls this once per project in the same process: resolve once.
let shared: Promise<{ emulator: Emulator; runId: string }> | undefined;
let users = 0;

export default async function setup(project: TestProject) {
  users += 1;
  shared ??= (async () => {
    const emulator = await useEmulator();
    if (!emulator.endpoint) throw new Error("The test suite only runs against an emulator, never real AWS.");
    console.log(`Tests run against ${emulator.description}`);
    // Every name a test makes carries this id (uniqueName), so the run's leftovers can be found.
    const runId = process.env.WORKSHOP_RUN_ID ?? `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
    process.env.WORKSHOP_RUN_ID = runId;
    return { emulator, runId };
  })();
  const { emulator, runId } = await shared;
  project.provide("awsEndpoint", emulator.endpoint!);
  project.provide("emulatorDescription", emulator.description);
  project.provide("runId", runId);
  return async () => {
    users -= 1;
    if (users > 0) return;
    try {
      // Scoped to this run: other runs sharing the emulator are not ours to judge or remove.
      const leftovers = (await cleanup({ run: runId, maxWaitSeconds: 30 })).flatMap((r) => r.removed.map((what) => `${r.service}: ${what}`));
      if (leftovers.length > 0) {
        throw new Error(`The test run left these behind in the emulator (now removed):\n  ${leftovers.join("\n  ")}`);
      }
    } finally {
      await emulator.stop();
    }
  };
}
