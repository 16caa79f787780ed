import { describe, expect, test } from "vitest";
import { clientConfig } from "./index";
import { assertSafeTarget, isLocalEndpoint, mask, realCredentialsInEnv, UnsafeTargetError } from "./safety";

describe("isLocalEndpoint", () => {
  test.each([
    "http://localhost:4566",
    "http://127.0.0.1:5000",
    "http://[::1]:4566",
    "http://localstack:4566",
    "http://s3.localhost.localstack.cloud:4566",
    "http://192.168.1.20:4566",
    "http://10.0.0.5:4566",
    "http://172.20.0.2:4566",
    "http://aula.local:4566",
  ])("%s is local", (url) => expect(isLocalEndpoint(url)).toBe(true));

  test.each([
    "https://s3.amazonaws.com",
    "https://sqs.us-east-1.amazonaws.com",
    "https://dynamodb.cn-north-1.amazonaws.com.cn",
    "https://example.com",
    "http://8.8.8.8:4566",
    "http://172.32.0.1:4566",
    "not a url",
  ])("%s is not local", (url) => expect(isLocalEndpoint(url)).toBe(false));
});

describe("assertSafeTarget", () => {
  test("refuses a non-local endpoint and says how to opt in", () => {
    expect(() => assertSafeTarget("https://s3.amazonaws.com", {})).toThrow(UnsafeTargetError);
    expect(() => assertSafeTarget("https://s3.amazonaws.com", {})).toThrow(/WORKSHOP_REAL_AWS=1/);
  });

  test("refuses no endpoint at all, naming the real credentials it found (masked)", () => {
    const env = { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
    let message = "";
    try {
      assertSafeTarget(undefined, env);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("real AWS");
    expect(message).toContain("AKIA…MPLE");
    expect(message).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(message).not.toContain("wJalrXUtnFEMI");
  });

  test("allows local endpoints, and real AWS only when asked for on purpose", () => {
    expect(() => assertSafeTarget("http://127.0.0.1:4566", {})).not.toThrow();
    expect(() => assertSafeTarget(undefined, { WORKSHOP_REAL_AWS: "1" })).not.toThrow();
    expect(() => assertSafeTarget("https://s3.amazonaws.com", { WORKSHOP_REAL_AWS: "1" })).not.toThrow();
    expect(() => assertSafeTarget("https://s3.amazonaws.com", { WORKSHOP_REAL_AWS: "yes" })).toThrow(UnsafeTargetError);
  });
});

describe("clientConfig", () => {
  test("gives an emulator dummy credentials, never the ones in the environment", () => {
    const config = clientConfig({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566", AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "real" });
    expect(config.endpoint).toBe("http://127.0.0.1:4566");
    expect(config.credentials).toEqual({ accessKeyId: "test", secretAccessKey: "test" });
  });

  test("throws before any client exists for a non-local endpoint", () => {
    expect(() => clientConfig({ AWS_ENDPOINT_URL: "https://s3.amazonaws.com" })).toThrow(UnsafeTargetError);
  });

  test("leaves credentials to the SDK only for real AWS on purpose", () => {
    const config = clientConfig({ WORKSHOP_REAL_AWS: "1", AWS_REGION: "sa-east-1" });
    expect(config.endpoint).toBeUndefined();
    expect(config.credentials).toBeUndefined();
    expect(config.region).toBe("sa-east-1");
  });
});

test("realCredentialsInEnv spots access keys, session tokens and profiles", () => {
  expect(realCredentialsInEnv({ AWS_ACCESS_KEY_ID: "test" })).toBeUndefined();
  expect(realCredentialsInEnv({ AWS_ACCESS_KEY_ID: "ASIAABCDEFGHIJKLMNOP" })).toContain("ASIA…MNOP");
  expect(realCredentialsInEnv({ AWS_PROFILE: "work" })).toContain("AWS_PROFILE=work");
  expect(mask("short")).toBe("*****");
});
