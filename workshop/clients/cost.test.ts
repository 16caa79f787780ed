// The cost line's figures, recomputed by hand: one lesson's real calls against the emulator, and
// the time-billed resources of a lesson-03-like run from a journal written out here.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, test } from "vitest";
import { createClient, recordCalls, uniqueName } from "../testing";
import { costLine, describeCost, dollars, summarize } from "./cost";
import { readJournal, type CallLine } from "./journal";
import PRICES from "./prices.json" with { type: "json" };

// Before any call of this file: the journal this process writes (see journal.ts).
const journal = mkdtempSync(join(tmpdir(), "nt-journal-"));
process.env.WORKSHOP_JOURNAL = journal;
afterAll(() => rmSync(journal, { recursive: true, force: true }));

describe("the cost of a run", () => {
  test("lesson 04's calls: S3 requests priced by hand from AWS's request classes", async () => {
    const solution = await import("../../solutions/04-s3/solution");
    const s3 = createClient(S3Client);
    const bucket = uniqueName("cost");
    const rec = recordCalls();
    await solution.createBucket(s3, bucket);
    await solution.putObject(s3, { bucket, key: "a.txt", body: "hello", contentType: "text/plain" });
    await solution.putObject(s3, { bucket, key: "b.txt", body: "world", contentType: "text/plain" });
    await solution.getObject(s3, bucket, "a.txt");
    await solution.listObjects(s3, bucket);
    await solution.presignGetUrl(s3, bucket, "a.txt"); // signed here: not a request
    await solution.emptyAndDeleteBucket(s3, bucket);
    rec.stop();

    // By hand: S3 bills PUT, COPY, POST and LIST requests at $0.005 per 1,000, DELETE free, and
    // GET and every other request (HEAD included) at $0.0004 per 1,000.
    const putClass = ["CreateBucket", "PutBucketTagging", "PutObject", "ListObjectsV2", "ListObjectVersions"];
    const deletes = ["DeleteObjects", "DeleteBucket"];
    let put = 0;
    let other = 0;
    for (const call of rec.calls) {
      if (putClass.includes(call.operation)) put += call.attempt;
      else if (!deletes.includes(call.operation)) other += call.attempt;
    }
    expect(rec.filter("S3", "GetObject")).toHaveLength(1); // the presigned URL sent nothing
    expect(put).toBeGreaterThanOrEqual(6);
    expect(other).toBeGreaterThanOrEqual(2); // GetObject, HeadBucket (the waiter)
    const byHand = (put * 0.005) / 1000 + (other * 0.0004) / 1000;

    const calls = readJournal(journal).filter((l): l is CallLine => l.t === "call");
    const summary = summarize(calls);
    expect(summary.requests.S3).toBe(rec.calls.reduce((n, c) => n + c.attempt, 0));
    expect(summary.usd).toBeCloseTo(byHand, 12);
    expect(summary.withinAlwaysFree).toBe(false); // S3 requests are not Always Free
    expect(costLine(summary)).toMatch(new RegExp(`^Cost: ${summary.requests.S3} requests \\(S3 ${summary.requests.S3}\\); on AWS \\(us-east-1\\) about \\$0\\.0000\\d+, not all Always Free`));
    expect(costLine(summary)).toContain(`Prices of ${PRICES.checked}`);
  });

  test("time-billed resources: an instance, an Elastic IP, a load balancer and an alarm for the time they lived", () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
    const at = (s: number) => t0 + s * 1000;
    const line = (operation: string, service: string, s: number, resources: CallLine["resources"] = []): CallLine => ({
      t: "call", lesson: "03-web-load-balancer", service, operation, ok: true, requests: 1, startedAt: at(s), endedAt: at(s), region: "us-east-1", resources,
    });
    const lines: CallLine[] = [
      line("RunInstances", "EC2", 0, [{ kind: "ec2-instance", id: "i-1", event: "start", at: at(0), type: "t3.micro" }]),
      line("AllocateAddress", "EC2", 10, [{ kind: "elastic-ip", id: "eipalloc-1", event: "start", at: at(10) }]),
      line("CreateLoadBalancer", "ElasticLoadBalancingV2", 20, [{ kind: "load-balancer", id: "arn:lb", event: "start", at: at(20), type: "application" }]),
      line("PutMetricAlarm", "CloudWatch", 30, [{ kind: "alarm", id: "cpu", event: "start", at: at(30) }]),
      line("DeleteAlarms", "CloudWatch", 90, [{ kind: "alarm", id: "cpu", event: "end", at: at(90) }]),
      line("DeleteLoadBalancer", "ElasticLoadBalancingV2", 100, [{ kind: "load-balancer", id: "arn:lb", event: "end", at: at(100) }]),
      line("ReleaseAddress", "EC2", 130, [{ kind: "elastic-ip", id: "eipalloc-1", event: "end", at: at(130) }]),
      line("TerminateInstances", "EC2", 150, [{ kind: "ec2-instance", id: "i-1", event: "end", at: at(150) }]),
    ];
    const summary = summarize(lines);
    // By hand: 150 s of t3.micro at $0.0104/h; 120 s of a public IPv4 address at $0.005/h; one
    // (partial) load balancer-hour at $0.0225; one alarm-hour at $0.10 a month of 730 hours;
    // 2 CloudWatch API requests at $0.01 per 1,000; EC2 and ELB API requests are free.
    const byHand = (150 * 0.0104) / 3600 + (120 * 0.005) / 3600 + 0.0225 + 0.1 / 730 + (2 * 0.01) / 1000;
    expect(summary.usd).toBeCloseTo(byHand, 12);
    expect(summary.leftRunning).toEqual([]);
    expect(summary.withinAlwaysFree).toBe(false);
    expect(dollars(summary.usd)).toBe("$0.023");
    expect(describeCost(summary)).toContain("t3.micro instance-seconds");
  });

  test("an instance never terminated is counted until the run ended, at least 60 s, and named as left running", () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
    const summary = summarize([
      { t: "call", service: "EC2", operation: "RunInstances", ok: true, requests: 1, startedAt: t0, endedAt: t0, region: "us-east-1", resources: [{ kind: "ec2-instance", id: "i-9", event: "start", at: t0, type: "t3.micro" }] },
      { t: "call", service: "EC2", operation: "DescribeInstances", ok: true, requests: 1, startedAt: t0 + 5000, endedAt: t0 + 5000, region: "us-east-1" },
    ]);
    expect(summary.usd).toBeCloseTo((60 * 0.0104) / 3600, 12);
    expect(summary.leftRunning).toEqual(["ec2-instance i-9"]);
    expect(costLine(summary)).toContain("1 resource(s) left running would go on costing");
  });

  test("SQS and SNS requests are within the Always Free allowances", () => {
    const t0 = Date.now();
    const summary = summarize([
      { t: "call", service: "SQS", operation: "SendMessage", ok: true, requests: 3, startedAt: t0, endedAt: t0, region: "eu-west-1" },
      { t: "call", service: "SNS", operation: "Publish", ok: true, requests: 1, startedAt: t0, endedAt: t0, region: "eu-west-1" },
    ]);
    expect(summary.usd).toBeCloseTo((3 * 0.4) / 1e6 + 0.5 / 1e6, 15);
    expect(summary.withinAlwaysFree).toBe(true);
    expect(costLine(summary)).toContain("on AWS (eu-west-1, at us-east-1 prices)");
    expect(costLine(summary)).toContain("within the Always Free allowances");
  });
});
