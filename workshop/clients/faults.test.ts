// The recorder and every scripted fault kind, against the run's emulator with real requests
// (no mocked client): each fault must look to the SDK like AWS's own, and a partial failure must
// really leave its entries undone in the emulator.
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, BatchGetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, DeleteTopicCommand, PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, injectFaults, recordCalls, uniqueName } from "../testing";
import { lessonFrame } from "./middleware";

const s3 = createClient(S3Client);
const sqs = createClient(SQSClient);
const sns = createClient(SNSClient);
const ec2 = createClient(EC2Client);
const dynamo = createClient(DynamoDBClient);
const doc = DynamoDBDocumentClient.from(dynamo);

const bucket = uniqueName("chaos");
const table = uniqueName("chaos");
let queueUrl = "";
let topicArn = "";

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("chaos") }))).QueueUrl!;
  topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueName("chaos") }))).TopicArn!;
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
});

afterAll(async () => {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  if (Contents.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Contents.map((o) => ({ Key: o.Key! })) } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
  await dynamo.send(new DeleteTableCommand({ TableName: table }));
});

describe("recordCalls", () => {
  test("records each call with its input, outcome and attempts", async () => {
    const rec = recordCalls();
    const body = { Bucket: bucket, Key: "a.txt", Body: "hello" };
    await s3.send(new PutObjectCommand(body));
    body.Key = "changed-after-the-call";
    await expect(s3.send(new HeadBucketCommand({ Bucket: `${bucket}-missing` }))).rejects.toThrow();
    rec.stop();
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(rec.names()).toEqual(["S3.PutObject", "S3.HeadBucket"]);
    const put = rec.find("S3", "PutObject")!;
    expect(put).toMatchObject({ service: "S3", operation: "PutObject", ok: true, attempt: 1, fromLesson: false });
    expect(put.input.Key).toBe("a.txt");
    expect(put.endedAt).toBeGreaterThanOrEqual(put.startedAt);
    expect(rec.find("S3", "HeadBucket")).toMatchObject({ ok: false, errorName: "NotFound" });
  });

  test("lib-dynamodb's document client is recorded under DynamoDB's operation names, with plain values", async () => {
    const rec = recordCalls();
    await doc.send(new ScanCommand({ TableName: table, Limit: 1 }));
    expect(rec.names()).toEqual(["DynamoDB.Scan"]);
    expect(rec.calls[0].input).toEqual({ TableName: table, Limit: 1 });
  });

  test("a call made by a lesson's solution is marked fromLesson, with the line that made it", async () => {
    const solution = await import("../../solutions/02-ec2-instances/solution");
    const rec = recordCalls();
    await solution.describeRegions(ec2);
    await ec2.send(new DescribeInstancesCommand({}));
    expect(rec.calls.map((c) => [c.operation, c.fromLesson])).toEqual([["DescribeRegions", true], ["DescribeInstances", false]]);
    expect(rec.calls[0].where).toMatch(/^solutions\/02-ec2-instances\/solution\.ts:\d+$/);
  });

  test("a call from a lesson's exercise or solution is told apart from the test's own", () => {
    const stack = [
      "Error",
      "    at callMiddleware (/repo/workshop/clients/middleware.ts:120:3)",
      "    at sendJobs (/repo/solutions/06-sqs/solution.ts:42:11)",
      "    at /repo/lessons/06-sqs/06-sqs.test.ts:88:5",
    ].join("\n");
    expect(lessonFrame(stack)).toBe("solutions/06-sqs/solution.ts:42");
    expect(lessonFrame("Error\n    at file:///repo/lessons/04-s3/exercise.ts:10:2")).toBe("lessons/04-s3/exercise.ts:10");
    expect(lessonFrame("Error\n    at /repo/lessons/06-sqs/06-sqs.test.ts:88:5")).toBeUndefined();
  });
});

describe("throttle and server-error: the SDK retries them as AWS's own", () => {
  test("S3 PutObject throttled once: the SDK retries and the object is stored", async () => {
    const faults = injectFaults([{ service: "S3", operation: "PutObject", fault: "throttle", times: 1 }]);
    const rec = recordCalls();
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "throttled.txt", Body: "x" }));
    expect(out.$metadata.attempts).toBe(2);
    expect(rec.find("S3", "PutObject")).toMatchObject({ ok: true, attempt: 2 });
    expect(faults.injected).toMatchObject([{ service: "S3", operation: "PutObject", fault: "throttle", attempt: 1, detail: "503 SlowDown" }]);
  });

  test("throttled on every attempt: the call fails with the service's throttling error", async () => {
    injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "throttle" }]);
    const err = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "a" }, sk: { S: "b" } } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ThrottlingException", $metadata: { attempts: 3, httpStatusCode: 400 } });
  });

  test("EC2 DescribeInstances answers 503 twice, then works (the SDK's three attempts)", async () => {
    const faults = injectFaults([{ service: "EC2", operation: "DescribeInstances", fault: "server-error", times: 2 }]);
    const out = await ec2.send(new DescribeInstancesCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    expect(faults.injected.map((f) => f.detail)).toEqual(["503 Unavailable", "503 Unavailable"]);
  });

  test("a server error on every attempt reaches the code as the service's error (query protocol: SNS)", async () => {
    injectFaults([{ service: "SNS", operation: "PublishBatch", fault: "server-error" }]);
    const err = await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: "1", Message: "m" }] })).catch((e: unknown) => e);
    // SNS models the code InternalError as InternalErrorException, as it does for AWS's own answers.
    expect(err).toMatchObject({ name: "InternalErrorException", $metadata: { attempts: 3, httpStatusCode: 500 } });
  });
});

describe("timeout and latency", () => {
  test("SQS ReceiveMessage times out once: the SDK retries it", async () => {
    const faults = injectFaults([{ service: "SQS", operation: "ReceiveMessage", fault: "timeout", times: 1 }]);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(out.$metadata.attempts).toBe(2);
    expect(faults.injected).toMatchObject([{ fault: "timeout", attempt: 1 }]);
  });

  test("a timeout on every attempt fails the call with a TimeoutError", async () => {
    injectFaults([{ service: "SQS", operation: "ReceiveMessage", fault: "timeout" }]);
    const err = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "TimeoutError" });
  });

  test("latency delays any operation by the time asked", async () => {
    const faults = injectFaults([{ fault: "latency", ms: 150, times: 1 }]);
    const rec = recordCalls();
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    const call = rec.find("SQS", "GetQueueAttributes")!;
    expect(faults.injected).toMatchObject([{ fault: "latency", detail: "150 ms" }]);
    // A lower bound only: a loaded machine makes it slower, never faster.
    expect(call.endedAt - call.startedAt).toBeGreaterThanOrEqual(150);
  });

  test("faults clear themselves: after clear() nothing more is injected", async () => {
    const faults = injectFaults([{ service: "SQS", fault: "server-error" }]);
    faults.clear();
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    expect(out.$metadata.attempts).toBe(1);
    expect(faults.injected).toEqual([]);
  });
});

describe("partial-failure: the withheld entries are really not done", () => {
  test("SQS SendMessageBatch: Failed lists the withheld entries and the queue holds only the others", async () => {
    const faults = injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", times: 1 }]);
    const q = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("chaos-pf") }))).QueueUrl!;
    try {
      const Entries = ["1", "2", "3", "4"].map((Id) => ({ Id, MessageBody: `job ${Id}` }));
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: q, Entries }));
      expect(out.Successful?.map((s) => s.Id)).toEqual(["1", "2"]);
      expect(out.Failed).toMatchObject([{ Id: "3", SenderFault: false, Code: "InternalError" }, { Id: "4", SenderFault: false }]);
      expect(Entries).toHaveLength(4); // the code's own input is untouched
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q, AttributeNames: ["ApproximateNumberOfMessages"] }));
      expect(Attributes?.ApproximateNumberOfMessages).toBe("2");
      expect(faults.injected).toMatchObject([{ fault: "partial-failure", detail: "withheld 2 of 4 entries" }]);
      // times: 1: the retry of the failed entries goes through.
      const again = await sqs.send(new SendMessageBatchCommand({ QueueUrl: q, Entries: Entries.slice(2) }));
      expect(again.Failed ?? []).toEqual([]);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: q }));
    }
  });

  test("S3 DeleteObjects: Errors lists the withheld keys and they are still in the bucket", async () => {
    for (const Key of ["d1", "d2", "d3"]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    injectFaults([{ service: "S3", operation: "DeleteObjects", fault: "partial-failure", entries: 1 }]);
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "d1" }, { Key: "d2" }, { Key: "d3" }] } }));
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(["d1", "d2"]);
    expect(out.Errors).toMatchObject([{ Key: "d3", Code: "InternalError" }]);
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "d" }));
    expect(Contents.map((o) => o.Key)).toEqual(["d3"]);
  });

  test("DynamoDB BatchWriteItem through lib-dynamodb: UnprocessedItems holds plain items, and they are not written", async () => {
    injectFaults([{ service: "DynamoDB", operation: "BatchWriteItem", fault: "partial-failure", times: 1 }]);
    const items = ["1", "2", "3"].map((sk) => ({ pk: "batch", sk, n: Number(sk) }));
    const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) } }));
    expect(out.UnprocessedItems).toEqual({ [table]: [{ PutRequest: { Item: { pk: "batch", sk: "3", n: 3 } } }] });
    const { Items = [] } = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    expect(Items.filter((i) => i.pk === "batch").map((i) => i.sk).sort()).toEqual(["1", "2"]);
  });

  test("DynamoDB BatchGetItem: UnprocessedKeys holds the withheld keys", async () => {
    injectFaults([{ service: "DynamoDB", operation: "BatchGetItem", fault: "partial-failure", times: 1 }]);
    const Keys = ["1", "2"].map((sk) => ({ pk: { S: "batch" }, sk: { S: sk } }));
    const out = await dynamo.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys, ConsistentRead: true } } }));
    expect(out.Responses?.[table]?.map((i) => i.sk.S)).toEqual(["1"]);
    expect(out.UnprocessedKeys).toEqual({ [table]: { Keys: [Keys[1]], ConsistentRead: true } });
  });

  test("SNS PublishBatch of one entry, withheld: no request at all, and Failed names it", async () => {
    const rec = recordCalls();
    injectFaults([{ service: "SNS", operation: "PublishBatch", fault: "partial-failure" }]);
    const out = await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: "only", Message: "m" }] }));
    expect(out).toMatchObject({ Successful: [], Failed: [{ Id: "only", SenderFault: false }] });
    expect(rec.find("SNS", "PublishBatch")).toMatchObject({ ok: true });
  });
});

describe("stale-read: an eventual read right after a write sees the old value", () => {
  const key = (sk: string) => ({ pk: { S: "stale" }, sk: { S: sk } });

  test("GetItem without ConsistentRead sees the item as it was; with it, the new one", async () => {
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key("g"), v: { S: "old" } } }));
    const faults = injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "stale-read" }]);
    const put = await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key("g"), v: { S: "new" } } }));
    expect(put.Attributes).toBeUndefined(); // what the code asked for, though the middleware asked for ALL_OLD
    const eventual = await dynamo.send(new GetItemCommand({ TableName: table, Key: key("g") }));
    expect(eventual.Item?.v.S).toBe("old");
    const consistent = await dynamo.send(new GetItemCommand({ TableName: table, Key: key("g"), ConsistentRead: true }));
    expect(consistent.Item?.v.S).toBe("new");
    expect(faults.injected).toMatchObject([{ fault: "stale-read", operation: "GetItem" }]);
  });

  test("an item just created is not there yet for an eventual GetItem", async () => {
    injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "stale-read", times: 1 }]);
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key("created"), v: { S: "1" } } }));
    expect((await dynamo.send(new GetItemCommand({ TableName: table, Key: key("created") }))).Item).toBeUndefined();
    // times: 1: the next read is up to date.
    expect((await dynamo.send(new GetItemCommand({ TableName: table, Key: key("created") }))).Item?.v.S).toBe("1");
  });

  test("Query without ConsistentRead gets the old version of an item just updated", async () => {
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key("q"), v: { S: "old" } } }));
    injectFaults([{ service: "DynamoDB", operation: "Query", fault: "stale-read" }]);
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key("q"), v: { S: "new" } } }));
    const query = { TableName: table, KeyConditionExpression: "pk = :pk AND sk = :sk", ExpressionAttributeValues: { ":pk": { S: "stale" }, ":sk": { S: "q" } } };
    expect((await dynamo.send(new QueryCommand(query))).Items?.map((i) => i.v.S)).toEqual(["old"]);
    expect((await dynamo.send(new QueryCommand({ ...query, ConsistentRead: true }))).Items?.map((i) => i.v.S)).toEqual(["new"]);
  });

  test("SQS ReceiveMessage short poll: a false empty answer, and the message is still there", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "still here" }));
    const faults = injectFaults([{ service: "SQS", operation: "ReceiveMessage", fault: "stale-read", times: 1 }]);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages ?? []).toEqual([]);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => m.Body)).toEqual(["still here"]);
    expect(faults.injected).toMatchObject([{ fault: "stale-read", detail: expect.stringContaining("false empty") }]);
  });
});
