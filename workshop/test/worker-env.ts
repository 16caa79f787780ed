// Runs in every test worker before the tests: points the AWS clients at the run's emulator.
import { inject } from "vitest";

process.env.AWS_ENDPOINT_URL = inject("awsEndpoint");
