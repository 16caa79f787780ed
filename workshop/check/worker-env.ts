// Runs in every test worker before the tests: points the AWS clients at the run's emulator
// and gives every name the run's id (see global-emulator.ts).
import { inject } from "vitest";

process.env.AWS_ENDPOINT_URL = inject("awsEndpoint");
process.env.WORKSHOP_RUN_ID = inject("runId");
