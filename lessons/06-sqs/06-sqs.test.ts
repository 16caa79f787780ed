import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  paginateListQueues,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, test } from "vitest";
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, uniqueName, waitFor, within, WaitedTooLongError } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("06-sqs");
type Job = import("./exercise").Job;
const sqs = createClient(SQSClient);

// Every queue this file creates is named `${run}-…`, so the last test can ask SQS for leftovers.
const run = uniqueName("sqs");
let count = 0;
const created = new Set<string>();

function queueName(what: string): string {
  count += 1;
  return `${run}-${what}${count}`;
}

/** A queue made by the test itself (not by the lesson), so each test checks one TODO. */
async function newQueue(what: string, attributes: Partial<Record<QueueAttributeName, string>> = {}, fifo = false): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: fifo ? `${queueName(what)}.fifo` : queueName(what),
      Attributes: fifo ? { FifoQueue: "true", ...attributes } : attributes,
    }),
  );
  created.add(QueueUrl!);
  return QueueUrl!;
}

/** The URL of the queue with this name, or undefined if there is none. */
async function queueUrlOf(name: string): Promise<string | undefined> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (QueueUrl) created.add(QueueUrl);
    return QueueUrl;
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return undefined;
    throw err;
  }
}

async function send(queueUrl: string, job: Job): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(job) }));
  return MessageId!;
}

async function receive(queueUrl: string, waitTimeSeconds: number, visibilityTimeout?: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitTimeSeconds,
      VisibilityTimeout: visibilityTimeout,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"],
    }),
  );
  return Messages;
}

/** Receives until `expected` messages arrived, or a long poll came back empty. */
async function receiveAll(queueUrl: string, expected: number): Promise<Message[]> {
  const all: Message[] = [];
  while (all.length < expected) {
    const batch = await receive(queueUrl, 1);
    if (batch.length === 0) break;
    all.push(...batch);
  }
  return all;
}


/** The error a call rejects with (undefined if it resolves). A TODO not done yet is thrown on, so the check names it. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof NotImplementedError) throw err;
    return err;
  }
}

function jobIdOf(message: Message): string {
  return (JSON.parse(message.Body ?? "{}") as Job).id;
}

/** What the queue holds: messages waiting, and messages received but not deleted yet. */
async function counts(queueUrl: string): Promise<{ waiting: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return { waiting: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/**
 * Waits until the queue's counts are `expected`. The counts are approximate on AWS, and they lag
 * behind a delete; emulators answer exactly and at once. So poll, within a deadline, and say what
 * the queue held last.
 */
async function expectCountsSoon(queueUrl: string, expected: { waiting: number; inFlight: number }, why: string): Promise<void> {
  let last: { waiting: number; inFlight: number } | undefined;
  try {
    await waitFor(
      `the queue to hold ${expected.waiting} waiting and ${expected.inFlight} in flight`,
      async () => {
        last = await counts(queueUrl);
        return last.waiting === expected.waiting && last.inFlight === expected.inFlight ? last : undefined;
      },
      { timeoutMs: 5000 },
    );
  } catch (err) {
    if (!(err instanceof WaitedTooLongError)) throw err;
    throw new Error(`${why}: expected ${expected.waiting} waiting and ${expected.inFlight} in flight; after 5 s the queue still holds ${last?.waiting} waiting and ${last?.inFlight} in flight.`);
  }
}

async function deleteQuietly(queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch((err: unknown) => {
    if (!(err instanceof QueueDoesNotExist)) throw err;
  });
}

afterAll(async () => {
  // A safety net: the last test deletes everything with the lesson's deleteQueue; this catches what a failure left.
  await Promise.all([...created].map(deleteQuietly));
});

// The tests wait on SQS (long polls, visibility timeouts) far more than they compute: run them side by side.
describe.concurrent("SQS", () => {
  test("step 1: createQueue creates the queue, with its attributes and the workshop's tags", async ({ expect }) => {
    const name = queueName("create");
    const url = await lesson.createQueue(sqs, name, { VisibilityTimeout: "7" });
    const QueueUrl = await queueUrlOf(name);
    expect(QueueUrl, `createQueue should create the queue ${name}; SQS has no queue of that name`).toBeDefined();
    expect(url, `createQueue should return the new queue's URL; SQS says the queue ${name} is at ${QueueUrl}`).toBe(QueueUrl);
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout"] }));
    expect(Attributes.VisibilityTimeout, "createQueue should pass the attributes it is given: VisibilityTimeout 7").toBe("7");
    const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    expect(Tags, `the queue should carry the workshop's tags (tags: queueTags()); it has ${JSON.stringify(Tags)}`).toMatchObject({
      workshop: "no-toca-boton",
    });
  });

  test("step 2: sendMessage puts one job in the queue, as JSON, and returns its message id", async ({ expect }) => {
    const queueUrl = await newQueue("send");
    const job = { id: "invoice-1", task: "email invoice 1" };
    const messageId = await lesson.sendMessage(sqs, queueUrl, job);
    const messages = await receiveAll(queueUrl, 1);
    expect(messages.map((m) => m.Body), "the queue should hold one message: the job as JSON").toEqual([JSON.stringify(job)]);
    expect(messageId, "sendMessage should return the MessageId SQS gave the message").toBe(messages[0]!.MessageId);
  });

  test("step 9: sendMessageBatch sends several jobs in one request and returns their message ids in order", async ({ expect }) => {
    const queueUrl = await newQueue("batch");
    const jobs = [1, 2, 3].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    const rec = recordCalls();
    const ids = await lesson.sendMessageBatch(sqs, queueUrl, jobs);
    rec.stop();
    // What AWS demands of a batch, which an emulator may not check: at most 10 entries, each Id unique
    // in the request and made of up to 80 letters, digits, hyphens and underscores.
    const batches = rec.filter("SQS", "SendMessageBatch").filter((c) => c.fromLesson && c.input.QueueUrl === queueUrl);
    expect(batches.length, `sendMessageBatch should send the jobs with SendMessageBatch; it sent ${JSON.stringify(rec.names())}`).toBeGreaterThan(0);
    for (const call of batches) {
      const entryIds = ((call.input.Entries ?? []) as Array<{ Id?: string }>).map((e) => e.Id);
      expect(entryIds.length, `a SendMessageBatch takes at most 10 entries; one call sent ${entryIds.length}`).toBeLessThanOrEqual(10);
      expect(new Set(entryIds).size, `entry Ids must be unique within a batch; they were ${JSON.stringify(entryIds)}`).toBe(entryIds.length);
      for (const id of entryIds) {
        expect(id ?? "", `an entry Id is up to 80 letters, digits, hyphens or underscores; "${id}" is not`).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      }
    }
    const messages = await receiveAll(queueUrl, 3);
    expect(messages.map(jobIdOf).sort(), "the queue should hold the three jobs").toEqual(jobs.map((j) => j.id));
    const jobByMessageId = new Map(messages.map((m) => [m.MessageId, jobIdOf(m)]));
    expect(
      ids.map((id) => jobByMessageId.get(id)),
      `sendMessageBatch returned ${JSON.stringify(ids)}: the MessageIds of the jobs, in the order of the jobs`,
    ).toEqual(jobs.map((j) => j.id));
  });

  test("step 3: receiveMessages long-polls: it waits for a message sent after it started", async ({ expect }) => {
    const queueUrl = await newQueue("poll");
    const job = { id: "late-1", task: "arrives while the consumer waits" };
    const sendLater = async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await send(queueUrl, job);
    };
    const [messages] = await Promise.all([lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 3 }), sendLater()]);
    expect(
      messages.map(jobIdOf),
      "receiveMessages with waitTimeSeconds 3 should wait for the message sent 0.5 s later (set WaitTimeSeconds)",
    ).toEqual([job.id]);
    expect(
      messages[0]!.Attributes?.ApproximateReceiveCount,
      "ask for the ApproximateReceiveCount attribute (MessageSystemAttributeNames): this is its first delivery",
    ).toBe("1");
  });

  test("step 3: receiveMessages returns up to maxMessages at once", async ({ expect }) => {
    const queueUrl = await newQueue("max");
    for (const n of [1, 2, 3]) await send(queueUrl, { id: `job-${n}`, task: "count" });
    const messages = await lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 1, maxMessages: 2 });
    expect(messages.length, "with maxMessages 2 and 3 messages waiting, expected 2 (set MaxNumberOfMessages; SQS's default is 1)").toBe(2);
  });

  test("step 3: a message that is not deleted comes back after its visibility timeout (receiveMessages' visibilityTimeout)", async ({ expect }) => {
    const queueUrl = await newQueue("comeback");
    await send(queueUrl, { id: "crash-1", task: "the worker dies before deleting" });
    const first = await lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 1, visibilityTimeout: 1 });
    expect(first.map(jobIdOf), "the first receive should get the message").toEqual(["crash-1"]);
    const again = await receive(queueUrl, 3);
    expect(
      again.map((m) => m.MessageId),
      "received with visibilityTimeout 1 and not deleted, the message should come back after 1 s (set VisibilityTimeout)",
    ).toEqual([first[0]!.MessageId]);
    expect(again[0]!.Attributes?.ApproximateReceiveCount, "its second delivery").toBe("2");
  });

  test("step 4: deleteMessage removes a received message for good", async ({ expect }) => {
    const queueUrl = await newQueue("delete");
    await send(queueUrl, { id: "done-1", task: "done" });
    const [message] = await receiveAll(queueUrl, 1);
    await lesson.deleteMessage(sqs, queueUrl, message!.ReceiptHandle!);
    await expectCountsSoon(queueUrl, { waiting: 0, inFlight: 0 }, "after deleteMessage the queue should be empty");
  });

  test("step 10: deleteMessageBatch deletes several messages in one request", async ({ expect }) => {
    const queueUrl = await newQueue("delbatch");
    for (const n of [1, 2, 3]) await send(queueUrl, { id: `done-${n}`, task: "done" });
    const messages = await receiveAll(queueUrl, 3);
    expect(messages.length, "the test sent 3 messages").toBe(3);
    await lesson.deleteMessageBatch(sqs, queueUrl, messages);
    await expectCountsSoon(queueUrl, { waiting: 0, inFlight: 0 }, "after deleteMessageBatch the queue should be empty");
  });

  test("step 10: deleteMessageBatch throws when SQS could not delete one of them (look at Failed)", async ({ expect }) => {
    const queueUrl = await newQueue("delfail");
    await send(queueUrl, { id: "done-1", task: "done" });
    const [message] = await receiveAll(queueUrl, 1);
    const bogus: Message = { ...message!, MessageId: "bogus", ReceiptHandle: "not-a-receipt-handle" };
    const error = await rejectionOf(lesson.deleteMessageBatch(sqs, queueUrl, [message!, bogus]));
    expect(error, "a batch answers 200 even when some entries failed: deleteMessageBatch should throw when Failed is not empty").toBeInstanceOf(
      Error,
    );
  });

  test("step 11: changeMessageVisibility extends the timeout while a worker is busy; 0 gives the message back", async ({ expect }) => {
    const queueUrl = await newQueue("extend", { VisibilityTimeout: "1" });
    await send(queueUrl, { id: "slow-1", task: "a slow job" });
    const [message] = await receive(queueUrl, 1);
    expect(message, "the test could not receive the message it sent").toBeDefined();
    await lesson.changeMessageVisibility(sqs, queueUrl, message!.ReceiptHandle!, 10);
    const meanwhile = await receive(queueUrl, 2);
    expect(
      meanwhile.map(jobIdOf),
      "extended to 10 s, the message should stay hidden past the queue's 1 s visibility timeout; a receive 2 s later got it",
    ).toEqual([]);
    await lesson.changeMessageVisibility(sqs, queueUrl, message!.ReceiptHandle!, 0);
    const back = await receive(queueUrl, 1);
    expect(back.map(jobIdOf), "with its visibility timeout set to 0, the message should be visible again at once").toEqual(["slow-1"]);
  });

  test("step 5: processOnce does a job once, however many times SQS delivers it", async ({ expect }) => {
    const queueUrl = await newQueue("idem");
    const invoice = { id: "invoice-7", task: "charge 7" };
    await send(queueUrl, invoice);
    await send(queueUrl, invoice); // the producer retried: the same job, a second message
    await send(queueUrl, { id: "invoice-8", task: "charge 8" });
    const processed = new Set<string>();
    const done: string[] = [];
    const charge = async (job: Job): Promise<void> => {
      done.push(job.id);
    };
    const messages = await receiveAll(queueUrl, 3);
    expect(messages.length, "the test sent 3 messages").toBe(3);
    const ran: boolean[] = [];
    for (const message of messages) ran.push(await lesson.processOnce(JSON.parse(message.Body!), processed, charge));
    // The worker dies before deleting: after the visibility timeout (here: 0) SQS delivers the messages again.
    for (const message of messages) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    const redelivered = await receiveAll(queueUrl, 3);
    expect(redelivered.length, "the test made its 3 messages visible again").toBe(3);
    for (const message of redelivered) ran.push(await lesson.processOnce(JSON.parse(message.Body!), processed, charge));
    expect(done.sort(), "each job should be done once, though invoice-7 came three times").toEqual(["invoice-7", "invoice-8"]);
    expect(
      ran.filter(Boolean).length,
      `processOnce should return true when it did the job, false when it skipped it; it returned ${JSON.stringify(ran)}`,
    ).toBe(2);
    expect([...processed].sort(), "processed should hold the ids of the jobs done").toEqual(["invoice-7", "invoice-8"]);
  });

  test("step 5: processOnce does a job again when it failed the first time", async ({ expect }) => {
    const processed = new Set<string>();
    const job = { id: "invoice-9", task: "charge 9" };
    const failing = async (): Promise<void> => {
      throw new Error("the payment service is down");
    };
    const error = await rejectionOf(lesson.processOnce(job, processed, failing));
    expect((error as Error | undefined)?.message, "processOnce should let the job's error through").toBe("the payment service is down");
    expect(processed.has(job.id), "a job that failed is not done: give its claim back when handle() throws, so that it runs again").toBe(false);
    const done: string[] = [];
    expect(await lesson.processOnce(job, processed, async (j) => void done.push(j.id)), "the retry should run").toBe(true);
    expect(done, "the retry should do the job").toEqual(["invoice-9"]);
  });

  test("step 5: processOnce claims a job before doing it: two copies at the same time do it once", async ({ expect }) => {
    // A standard queue can hand the same job to two workers at once (a second copy, or a visibility
    // timeout that ended while the first worker was still busy). Marking it done afterwards is too late.
    const claimed = new Set<string>();
    const job = { id: "invoice-10", task: "charge 10" };
    let charges = 0;
    const slowCharge = async (): Promise<void> => {
      charges += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    };
    const ran = await Promise.all([lesson.processOnce(job, claimed, slowCharge), lesson.processOnce(job, claimed, slowCharge)]);
    expect(
      charges,
      "two copies of invoice-10 were processed at the same time and the customer was charged twice: claim the id before the work, not after",
    ).toBe(1);
    expect(ran.sort(), `processOnce should return true for the copy it did and false for the one it skipped; it returned ${JSON.stringify(ran)}`).toEqual([
      false,
      true,
    ]);
  });

  test("step 6: getQueueArn reads the queue's ARN from its attributes", async ({ expect }) => {
    const queueUrl = await newQueue("arn");
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    const arn = await lesson.getQueueArn(sqs, queueUrl);
    expect(arn, "getQueueArn should return the QueueArn attribute (GetQueueAttributes)").toBe(Attributes.QueueArn);
  });

  test("step 7: setRedrivePolicy: after maxReceiveCount receives without a delete, the message moves to the dead-letter queue", async ({ expect }) => {
    const deadLetterUrl = await newQueue("dlq");
    const queueUrl = await newQueue("work");
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }));
    const deadLetterArn = Attributes.QueueArn!;
    await lesson.setRedrivePolicy(sqs, queueUrl, deadLetterArn, 2);

    const { Attributes: set = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy"] }));
    expect(set.RedrivePolicy, "the queue should have a RedrivePolicy attribute (SetQueueAttributes)").toBeDefined();
    const policy = JSON.parse(set.RedrivePolicy!) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    expect(policy.deadLetterTargetArn, "the RedrivePolicy's deadLetterTargetArn").toBe(deadLetterArn);
    expect(Number(policy.maxReceiveCount), "the RedrivePolicy's maxReceiveCount").toBe(2);

    await send(queueUrl, { id: "poison-1", task: "always fails" });
    for (const n of [1, 2]) {
      // A consumer receives it, fails, and does not delete it; visibility 0 makes it come back at once.
      const messages = await receive(queueUrl, 1, 0);
      expect(messages.map(jobIdOf), `receive #${n} should still get the poison message`).toEqual(["poison-1"]);
    }
    const third = await receive(queueUrl, 1);
    expect(third.map(jobIdOf), "after 2 receives the message should have left the queue").toEqual([]);
    const dead = await receive(deadLetterUrl, 2);
    expect(dead.map(jobIdOf), "the dead-letter queue should hold the poison message").toEqual(["poison-1"]);
  });

  test("step 12: createFifoQueue creates <name>.fifo with FifoQueue on", async ({ expect }) => {
    const name = queueName("fifo");
    const url = await lesson.createFifoQueue(sqs, name);
    const QueueUrl = await queueUrlOf(`${name}.fifo`);
    expect(QueueUrl, `createFifoQueue should create the queue ${name}.fifo; SQS has no queue of that name`).toBeDefined();
    expect(url, `createFifoQueue should return the URL of ${name}.fifo`).toBe(QueueUrl);
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["FifoQueue"] }));
    expect(Attributes.FifoQueue, "the FifoQueue attribute").toBe("true");
    const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    expect(Tags, `the FIFO queue should carry the workshop's tags too (queueTags()); it has ${JSON.stringify(Tags)}`).toMatchObject({
      workshop: "no-toca-boton",
    });
  });

  test("step 13: sendFifoMessage keeps the order within a group and drops a job sent twice", async ({ expect }) => {
    const queueUrl = await newQueue("order", {}, true);
    const sends: Array<[string, string]> = [
      ["ana-1", "ana"],
      ["bob-1", "bob"],
      ["ana-2", "ana"],
      ["ana-2", "ana"], // sent twice: the same job id
      ["ana-3", "ana"],
      ["bob-2", "bob"],
    ];
    for (const [id, group] of sends) await lesson.sendFifoMessage(sqs, queueUrl, { id, task: `order ${id}` }, group);
    const received: Array<{ id: string; group?: string }> = [];
    let batch = await receive(queueUrl, 1);
    while (batch.length > 0) {
      received.push(...batch.map((m) => ({ id: jobIdOf(m), group: m.Attributes?.MessageGroupId })));
      const entries = batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      batch = await receive(queueUrl, 1);
    }
    const ids = received.map((r) => r.id);
    expect(ids.length, `6 sends with one duplicate (MessageDeduplicationId: the job id) should give 5 messages; got ${ids.join(", ")}`).toBe(5);
    expect(ids.filter((id) => id.startsWith("ana")), "ana's orders, in the order they were sent").toEqual(["ana-1", "ana-2", "ana-3"]);
    expect(ids.filter((id) => id.startsWith("bob")), "bob's orders, in the order they were sent").toEqual(["bob-1", "bob-2"]);
    for (const { id, group } of received) {
      expect(group, `${id} should be in the message group ${id.split("-")[0]} (MessageGroupId)`).toBe(id.split("-")[0]);
    }
  });

  test("step 8: runWorker handles jobs until told to stop, cuts its long poll short, and counts what it handled", async ({ expect }) => {
    const queueUrl = await newQueue("worker");
    for (const id of ["ok-1", "bad-1", "ok-2"]) await send(queueUrl, { id, task: id.startsWith("bad") ? "fails" : "works" });
    const stop = new AbortController();
    const seen: string[] = [];
    let abortedAt = 0;
    const abort = () => {
      abortedAt = Date.now();
      stop.abort();
    };
    // Give up after 4 s (the three jobs are waiting before the worker starts), so that a check of a
    // worker that never stops ends within 10 s.
    const giveUp = setTimeout(abort, 4000);
    const handle = async (job: Job): Promise<void> => {
      seen.push(job.id);
      // Once all three are seen, stop the worker while it waits in its next long poll.
      if (seen.length === 3) setTimeout(abort, 300);
      if (job.id.startsWith("bad")) throw new Error(`${job.id} fails`);
    };
    let handled: number | undefined;
    const worker = lesson.runWorker(sqs, queueUrl, handle, { signal: stop.signal, waitTimeSeconds: 3 }).then((n) => {
      handled = n;
    });
    // A worker that never looks at the signal would run forever: give up on it 4.5 s after the abort
    // (longer than its 3 s long poll, so that a worker that only forgot abortSignal gets the message below).
    let hung: NodeJS.Timeout | undefined;
    const tooLate = new Promise<never>((_, reject) => {
      stop.signal.addEventListener("abort", () => {
        hung = setTimeout(() => reject(new Error("runWorker did not return within 4.5 s of the abort: loop only while the signal is not aborted")), 4500);
      });
    });
    const error = await rejectionOf(Promise.race([worker, tooLate]));
    const tookToStop = Date.now() - abortedAt;
    clearTimeout(giveUp);
    clearTimeout(hung);
    expect(
      error,
      `runWorker failed with "${error}". An abort in the middle of a long poll makes sqs.send throw: catch it, and stop if signal.aborted`,
    ).toBeUndefined();
    expect(seen.sort(), "the worker should hand every job to handle()").toEqual(["bad-1", "ok-1", "ok-2"]);
    expect(handled, "runWorker should return how many messages it handled: 2 (the failing one does not count)").toBe(2);
    expect(
      tookToStop,
      `runWorker took ${tookToStop} ms to stop after the abort: pass the signal to sqs.send ({ abortSignal }) so a 3 s long poll is cut short`,
    ).toBeLessThan(2000);
    await expectCountsSoon(
      queueUrl,
      { waiting: 0, inFlight: 1 },
      "the worker should delete what it handled and leave the failed job in flight, to come back after its visibility timeout",
    );
  });
});

// "Todo puede fallar": the faults an emulator never shows, scripted. These tests run one at a time
// (a scripted fault applies to every client of this process while its test runs).
describe("when it fails", () => {
  test("step 9: sendMessageBatch sends again only the entries SQS failed, and each job arrives once", async () => {
    const queueUrl = await newQueue("partial");
    const jobs = [1, 2, 3, 4].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    const faults = injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", times: 1, from: "lesson" }]);
    const ids = await within("sendMessageBatch to send a batch that half failed", lesson.sendMessageBatch(sqs, queueUrl, jobs));
    expect(faults.injected.map((f) => f.detail), "the check meant to fail part of the first batch").toHaveLength(1);
    const messages = await receiveAll(queueUrl, jobs.length + 1);
    const found = messages.map(jobIdOf).sort();
    expect(
      found,
      `SQS answered the first batch with 2 entries in Failed (SenderFault false: its own fault). Send those again, and only those; the queue holds ${found.join(", ") || "nothing"}`,
    ).toEqual(jobs.map((j) => j.id).sort());
    const jobByMessageId = new Map(messages.map((m) => [m.MessageId, jobIdOf(m)]));
    expect(ids.map((id) => jobByMessageId.get(id)), "the MessageIds of every job, sent the first time or again, in the jobs' order").toEqual(
      jobs.map((j) => j.id),
    );
  });

  test("step 9: sendMessageBatch backs off, then gives up with an error when entries keep failing", async () => {
    const queueUrl = await newQueue("stuck");
    const jobs = [1, 2].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", from: "lesson" }]);
    const rec = recordCalls();
    const error = await within("sendMessageBatch to give up on entries that fail every time", rejectionOf(lesson.sendMessageBatch(sqs, queueUrl, jobs)));
    rec.stop();
    const calls = rec.filter("SQS", "SendMessageBatch").filter((c) => c.fromLesson);
    expect(error, "entries that fail on every call: sendMessageBatch should end with an Error, not return as if they were sent").toBeInstanceOf(Error);
    expect(calls.length, `a failure on SQS's side is worth another try: sendMessageBatch made ${calls.length} call(s)`).toBeGreaterThanOrEqual(2);
    const gaps = calls.slice(1).map((c, i) => c.startedAt - calls[i]!.endedAt);
    expect(Math.min(...gaps), `wait before sending again (ms between calls: ${gaps.map(Math.round).join(", ")})`).toBeGreaterThanOrEqual(10);
  });

  test("step 10: deleteMessageBatch deletes again only the entries SQS failed, and the queue ends empty", async () => {
    const queueUrl = await newQueue("delpartial");
    for (const n of [1, 2, 3, 4]) await send(queueUrl, { id: `done-${n}`, task: "done" });
    const messages = await receiveAll(queueUrl, 4);
    expect(messages.length, "the test sent 4 messages").toBe(4);
    injectFaults([{ service: "SQS", operation: "DeleteMessageBatch", fault: "partial-failure", times: 1, from: "lesson" }]);
    await within("deleteMessageBatch to delete a batch that half failed", lesson.deleteMessageBatch(sqs, queueUrl, messages));
    await expectCountsSoon(
      queueUrl,
      { waiting: 0, inFlight: 0 },
      "SQS answered the delete batch with 2 entries in Failed (SenderFault false): delete those again",
    );
  });

  test("step 3: receiveMessages asks for a long poll, which no false empty answer can fool", async () => {
    const queueUrl = await newQueue("falseempty");
    await send(queueUrl, { id: "late-2", task: "waiting" });
    // On AWS a short poll asks a sample of servers and can answer empty while a message waits.
    injectFaults([{ service: "SQS", operation: "ReceiveMessage", fault: "stale-read", times: 1, from: "lesson" }]);
    const rec = recordCalls();
    const messages = await lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 1 });
    rec.stop();
    const sent = rec.filter("SQS", "ReceiveMessage").filter((c) => c.fromLesson).map((c) => c.input.WaitTimeSeconds);
    expect(
      sent.length > 0 && sent.every((wait) => wait === 1),
      `receiveMessages(…, { waitTimeSeconds: 1 }) should send WaitTimeSeconds: 1 (without it the queue's default, 0, makes a short poll); it sent ${JSON.stringify(sent)}`,
    ).toBe(true);
    expect(messages.map(jobIdOf), "a long poll gets the waiting message").toEqual(["late-2"]);
  });
});

test("lesson: cleanup: deleteQueue removes every queue this lesson created", async () => {
  for (const url of created) {
    await lesson.deleteQueue(sqs, url);
    created.delete(url);
  }
  // ListQueues is eventually consistent: on AWS a deleted queue can be listed for up to 60 s; emulators
  // drop it at once. So ask again until none is listed, within a deadline, and name what is left.
  let left: string[] = [];
  const listLeft = async (): Promise<string[]> => {
    const urls: string[] = [];
    for await (const page of paginateListQueues({ client: sqs, pageSize: 10 }, { QueueNamePrefix: `${run}-` })) {
      urls.push(...(page.QueueUrls ?? []));
    }
    return urls;
  };
  await waitFor("every queue of this run to be gone from ListQueues", async () => {
    left = await listLeft();
    return left.length === 0 ? true : undefined;
  }).catch((err: unknown) => {
    if (err instanceof WaitedTooLongError) throw new Error(`${err.message} Still listed: ${left.join(", ")}`);
    throw err;
  });
  expect(left, "no queue of this run should be left").toEqual([]);
});
