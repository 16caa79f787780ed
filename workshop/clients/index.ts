// The clients and their middleware. Every AWS client in the workshop is built here, so that the
// endpoint, the region, the credentials, the safety check and the middleware (recorded calls,
// faults, cost: middleware.ts; requests an emulator cannot parse: malformed.ts) are decided in one place.
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { explainMalformedRequests } from "./malformed";
import { addWorkshopMiddleware } from "./middleware";
import { assertSafeTarget, DUMMY_CREDENTIALS, realAwsAllowed } from "./safety";
import { roomCredentials } from "../classroom/joined";

export const DEFAULT_REGION = "us-east-1";

export interface WorkshopClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Emulators serve buckets by path (http://host/bucket/key), not by host name. */
  forcePathStyle: boolean;
  /** "Everything can fail at any time": the SDK retries throttling and network errors. */
  maxAttempts: number;
  requestHandler: { connectionTimeout: number };
}

/** The configuration every client gets. Throws before any request if the target is not safe. */
export function clientConfig(env = process.env): WorkshopClientConfig {
  // The SDK warns on every run that its 2027 releases need Node 22. The lock file keeps versions
  // that run on Node 20, and the README and `npm start -- doctor` say so once, not on every check.
  // The process's own environment, also when `env` is a copy: the SDK reads the flag there.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  assertSafeTarget(endpoint, env);
  const real = realAwsAllowed(env) && endpoint === undefined;
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION,
    ...(endpoint ? { endpoint } : {}),
    // An emulator accepts any credentials; these dummies mean real keys in your shell are never sent.
    // In a room (`npm start -- join`), the room's door gets the attendee's own credentials instead.
    ...(real ? {} : { credentials: roomCredentials(endpoint) ?? { ...DUMMY_CREDENTIALS } }),
    forcePathStyle: true,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000 },
  };
}

/**
 * Builds a client of any AWS service: `createClient(S3Client)`, `createClient(SQSClient)`.
 * `overrides` wins over the workshop defaults (for example other credentials).
 */
export function createClient<C>(Client: new (config: never) => C, overrides: Record<string, unknown> = {}): C {
  const config: Record<string, unknown> = { ...clientConfig(), ...overrides };
  if (config.endpoint !== undefined && config.retryStrategy === undefined && config.retryMode !== "adaptive") {
    config.retryStrategy = emulatorRetries(typeof config.maxAttempts === "number" ? config.maxAttempts : 3);
  }
  const client = explainMalformedRequests(new Client(config as never));
  // Records every call, injects the faults a test or WORKSHOP_CHAOS asks for, counts the cost.
  addWorkshopMiddleware(client, typeof config.maxAttempts === "number" ? config.maxAttempts : 3, typeof config.region === "string" ? config.region : DEFAULT_REGION);
  return client;
}

/**
 * Against an emulator, the SDK's own retries ("standard" mode: the same attempts, the same retry
 * quota) wait milliseconds instead of the SDK's backoff for AWS (jittered, from 50 ms, and up to
 * a second and more after throttling): a fault injected by the workshop is retried as on AWS,
 * without making a learner's check wait for a service that is not there. Real AWS keeps the SDK's
 * defaults.
 */
function emulatorRetries(maxAttempts: number): ConfiguredRetryStrategy {
  return new ConfiguredRetryStrategy(maxAttempts, (attempt) => Math.min(200, 10 * 2 ** attempt));
}
