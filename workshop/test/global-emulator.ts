// Vitest global setup: resolve one emulator for the whole test run (reusing AWS_ENDPOINT_URL
// or a shared `npm run emulator`, otherwise starting one) and stop it when the run ends.
import type { TestProject } from "vitest/node";
import { useEmulator } from "../emulator";

declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
    emulatorDescription: string;
  }
}

export default async function setup(project: TestProject) {
  const emulator = await useEmulator();
  if (!emulator.endpoint) throw new Error("The test suite only runs against an emulator, never real AWS.");
  project.provide("awsEndpoint", emulator.endpoint);
  project.provide("emulatorDescription", emulator.description);
  console.log(`Tests run against ${emulator.description}`);
  return async () => {
    await emulator.stop();
  };
}
