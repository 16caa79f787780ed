import { defineConfig } from "vitest/config";
import { FIXED_TEST_SEED } from "./workshop/clients/chaos.ts";

// `npm test` runs the harness's own tests and every lesson against its reference solution.
// The untouched exercises are proven to fail by workshop/check/exercises-fail.test.ts.
export default defineConfig({
  test: {
    globalSetup: ["workshop/check/global-emulator.ts"],
    setupFiles: ["workshop/check/worker-env.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The tests wait on the emulator far more than they compute: run several files at once.
    maxWorkers: 4,
    projects: [
      {
        extends: true,
        // In English whatever the machine's locale (LANG=es_AR.UTF-8 must still pass): a test that
        // wants Spanish sets WORKSHOP_LANG itself, for the process it runs.
        test: { name: "harness", include: ["workshop/**/*.test.ts", "slides/**/*.test.ts"], env: { WORKSHOP_LANG: "en" } },
      },
      {
        extends: true,
        test: { name: "lessons", include: ["lessons/**/*.test.ts"], env: { LESSON_TARGET: "solution" } },
      },
      {
        // Every solution once more under chaos, with a fixed seed: "todo puede fallar" (workshop/clients/chaos.ts).
        extends: true,
        test: { name: "lessons-chaos", include: ["lessons/**/*.test.ts"], env: { LESSON_TARGET: "solution", WORKSHOP_CHAOS: String(FIXED_TEST_SEED) } },
      },
    ],
  },
});
