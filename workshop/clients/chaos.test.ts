// Random chaos: parsing its seed, deciding the same faults for the same seed, and only ever
// injecting what the SDK or a correct program survives (against the run's emulator).
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, test } from "vitest";
import { createClient, recordCalls, uniqueName } from "../testing";
import { chance, GATED_KINDS, parseChaos, parseKinds, setChaos } from "./chaos";
import { onFaultInjected, type InjectedFault } from "./faults";
import { chaosSeed } from "./run-report";

afterEach(() => setChaos(undefined));

describe("the seed", () => {
  test("WORKSHOP_CHAOS=1 picks a random seed; a number is the seed; 0 or nothing is no chaos", () => {
    expect(parseChaos(undefined)).toBeUndefined();
    expect(parseChaos("0")).toBeUndefined();
    expect(parseChaos("7")?.seed).toBe(7);
    expect(parseChaos("1")?.seed).toBeGreaterThan(1);
    expect(() => parseChaos("many")).toThrow(/a seed \(a whole number such as 7\)/);
  });

  test("--chaos alone picks a seed, --chaos=7 is seed 7, and anything else is refused in plain words", () => {
    expect(chaosSeed("7", {})).toBe(7);
    expect(chaosSeed(true, {})).toBeGreaterThan(1);
    expect(chaosSeed(undefined, {})).toBeUndefined();
    expect(() => chaosSeed("x", {})).toThrow(/--chaos takes a seed/);
  });

  test("the kinds: gated ones are left out unless asked for", () => {
    for (const kind of GATED_KINDS) expect(parseKinds(undefined).has(kind)).toBe(false);
    expect(parseKinds("all").has("partial-failure")).toBe(true);
    expect([...parseKinds("latency,throttle")]).toEqual(["latency", "throttle"]);
    expect(() => parseKinds("earthquake")).toThrow(/unknown kind "earthquake"/);
  });

  test("the same seed and key always give the same chance; another seed another one", () => {
    expect(chance(7, "SQS.SendMessage|1|1")).toBe(chance(7, "SQS.SendMessage|1|1"));
    const a = Array.from({ length: 50 }, (_, i) => chance(7, `k${i}`));
    const b = Array.from({ length: 50 }, (_, i) => chance(8, `k${i}`));
    expect(a).not.toEqual(b);
    for (const x of a) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe("what random chaos injects", () => {
  test("every call gets through: errors only on a first attempt, which the SDK retries", async () => {
    const sqs = createClient(SQSClient);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("chaos-rand") }))).QueueUrl!;
    // High rates of every kind but partial failures, which the test's own calls never get anyway.
    setChaos({ seed: 12345, kinds: parseKinds("latency,throttle,server-error,timeout,stale-read") });
    const seen: InjectedFault[] = [];
    const stop = onFaultInjected((f) => seen.push(f));
    const rec = recordCalls();
    try {
      for (let i = 0; i < 40; i++) await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    } finally {
      stop();
      rec.stop();
      setChaos(undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    }
    expect(rec.calls.every((c) => c.ok)).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const f of seen) {
      expect(f.source).toBe("chaos");
      if (f.fault !== "latency") expect(f.attempt).toBe(1);
    }
  });

  test("partial failures and stale reads hit the lesson's calls only, never the test's own", async () => {
    const sqs = createClient(SQSClient);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("chaos-own") }))).QueueUrl!;
    setChaos({ seed: 3, kinds: parseKinds("partial-failure,stale-read") });
    try {
      for (let i = 0; i < 10; i++) {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "b", MessageBody: "2" }] }));
        expect(out.Failed ?? []).toEqual([]);
      }
    } finally {
      setChaos(undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    }
  });
});
