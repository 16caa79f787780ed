// Against an emulator the SDK's retries keep their attempts and their quota but wait
// milliseconds (clients/index.ts); a lesson's own retry settings still hold, and real AWS keeps
// the SDK's defaults. A real HTTP server that always answers 503 counts the attempts.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createClient } from "./index";

let server: Server;
let requests = 0;
let endpoint = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(503, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify({ __type: "ServiceUnavailable", message: "busy" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function attemptsOf(client: SQSClient): Promise<number> {
  requests = 0;
  await expect(client.send(new ListQueuesCommand({}))).rejects.toThrow();
  return requests;
}

describe("the SDK's retries against an emulator", () => {
  const withEndpoint = <T>(work: () => T): T => {
    vi.stubEnv("AWS_ENDPOINT_URL", endpoint);
    try {
      return work();
    } finally {
      vi.unstubAllEnvs();
    }
  };

  test("a workshop client retries a 503 as the SDK does: three attempts, with the emulator's short backoff", async () => {
    const client = withEndpoint(() => createClient(SQSClient));
    expect(client.config.retryStrategy).toBeDefined();
    expect(await client.config.retryStrategy()).toBeInstanceOf(ConfiguredRetryStrategy);
    expect(await attemptsOf(client)).toBe(3);
  });

  test("a lesson's own maxAttempts and retryMode still hold", async () => {
    const client = withEndpoint(() => createClient(SQSClient, { maxAttempts: 5, retryMode: "standard" }));
    expect(client.config.retryMode).toBe("standard");
    expect(await client.config.maxAttempts()).toBe(5);
    expect(await attemptsOf(client)).toBe(5);
  });

  test("a retry strategy or the adaptive mode asked for by the caller is left alone", async () => {
    const own = new ConfiguredRetryStrategy(2, 1);
    const client = withEndpoint(() => createClient(SQSClient, { retryStrategy: own }));
    expect(await client.config.retryStrategy()).toBe(own);
    const adaptive = withEndpoint(() => createClient(SQSClient, { retryMode: "adaptive" }));
    expect(await adaptive.config.retryStrategy()).not.toBeInstanceOf(ConfiguredRetryStrategy);
  });
});
