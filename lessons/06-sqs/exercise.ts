// Lesson 06: SQS, the Simple Queue Service. A producer puts jobs in a queue; workers take them out,
// do them, and delete them. Nothing is lost when a worker dies: its job comes back to the queue.
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type Message,
  type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import { createClient, runMain, todo, uniqueName, workshopTags } from "../../workshop/lesson";

/** What our queues carry: a job for a worker. `id` is the business key: the same job always has the same id. */
export interface Job {
  id: string;
  task: string;
}

export type QueueAttributes = Partial<Record<QueueAttributeName, string>>;

export interface ReceiveOptions {
  /** Long polling: wait up to this many seconds (0–20) for a message to arrive. */
  waitTimeSeconds?: number;
  /** At most this many messages (1–10). */
  maxMessages?: number;
  /** Hide the received messages from other consumers for this many seconds (default: the queue's). */
  visibilityTimeout?: number;
  /** Cuts a long poll short when the caller wants to stop. */
  abortSignal?: AbortSignal;
}

export interface WorkerOptions {
  /** The worker stops when this signal is aborted, even in the middle of a long poll. */
  signal: AbortSignal;
  waitTimeSeconds?: number;
}

/** The workshop's tags (workshop, workshop-run) in the shape CreateQueue wants: `{ key: value }`. */
export function queueTags(): Record<string, string> {
  return Object.fromEntries(workshopTags().map((tag) => [tag.Key, tag.Value]));
}

/** The job a message carries. */
export function jobOf(message: Message): Job {
  return JSON.parse(message.Body ?? "{}") as Job;
}

// Step 1 ─ a queue

export async function createQueue(sqs: SQSClient, name: string, attributes: QueueAttributes = {}): Promise<string> {
  // TODO 1: create the queue with CreateQueueCommand (QueueName, Attributes, tags: queueTags()) and return its QueueUrl.
  todo(1, "create the queue with CreateQueueCommand and return its QueueUrl");
}

// Step 2 ─ send

export async function sendMessage(sqs: SQSClient, queueUrl: string, job: Job): Promise<string> {
  // TODO 2: send the job as JSON (MessageBody: JSON.stringify(job)) with SendMessageCommand and return its MessageId.
  todo(2, "send the job as JSON with SendMessageCommand and return its MessageId");
}

/** Sends up to 10 jobs (SQS's limit per batch) in one request. Returns their message ids, in order. */
export async function sendMessageBatch(sqs: SQSClient, queueUrl: string, jobs: Job[]): Promise<string[]> {
  // TODO 3: send the jobs with SendMessageBatchCommand, one entry each (Id: its index, MessageBody: the job as JSON).
  // The batch answers even when some entries failed: throw if Failed is not empty. Return the MessageIds in the jobs' order.
  todo(3, "send the jobs with SendMessageBatchCommand, throw if Failed is not empty, return the MessageIds in order");
}

// Step 3 ─ receive, with long polling

export async function receiveMessages(sqs: SQSClient, queueUrl: string, options: ReceiveOptions = {}): Promise<Message[]> {
  // TODO 4: receive with ReceiveMessageCommand: WaitTimeSeconds, MaxNumberOfMessages, VisibilityTimeout,
  // MessageSystemAttributeNames: ["ApproximateReceiveCount"]; pass { abortSignal } as send's second argument. Return Messages, or [].
  todo(4, "receive with ReceiveMessageCommand (long polling: WaitTimeSeconds) and return the messages");
}

// Step 4 ─ delete what you have done

export async function deleteMessage(sqs: SQSClient, queueUrl: string, receiptHandle: string): Promise<void> {
  // TODO 5: delete the message with DeleteMessageCommand (QueueUrl, ReceiptHandle).
  todo(5, "delete the message with DeleteMessageCommand");
}

export async function deleteMessageBatch(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  // TODO 6: delete the messages with DeleteMessageBatchCommand (Id: index, ReceiptHandle), and throw if Failed is not empty.
  todo(6, "delete the messages with DeleteMessageBatchCommand and throw if Failed is not empty");
}

// Step 5 ─ the visibility timeout

/** A worker that needs more time says so, before the message reappears for someone else. 0 gives it back now. */
export async function changeMessageVisibility(sqs: SQSClient, queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
  // TODO 7: set the message's VisibilityTimeout to `seconds` with ChangeMessageVisibilityCommand.
  todo(7, "change the message's visibility timeout with ChangeMessageVisibilityCommand");
}

// Step 6 ─ at-least-once delivery needs an idempotent consumer

/** Runs `handle` for a job unless a job with its id was already done. Returns whether it ran. */
export async function processOnce(job: Job, processed: Set<string>, handle: (job: Job) => Promise<void>): Promise<boolean> {
  // TODO 8: return false if `processed` has job.id; otherwise await handle(job), then add job.id and return true.
  todo(8, "do the job unless its id is in processed, and mark it once done");
}

// Step 7 ─ a dead-letter queue for the messages nobody can process

export async function getQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  // TODO 9: read the QueueArn attribute with GetQueueAttributesCommand (AttributeNames: ["QueueArn"]).
  todo(9, "read the QueueArn attribute with GetQueueAttributesCommand");
}

/** After `maxReceiveCount` receives without a delete, SQS moves a message to the dead-letter queue. */
export async function setRedrivePolicy(sqs: SQSClient, queueUrl: string, deadLetterQueueArn: string, maxReceiveCount: number): Promise<void> {
  // TODO 10: set the queue's RedrivePolicy attribute with SetQueueAttributesCommand:
  // JSON.stringify({ deadLetterTargetArn, maxReceiveCount }).
  todo(10, "set the RedrivePolicy attribute with SetQueueAttributesCommand");
}

// Step 8 ─ FIFO queues: order within a group, and no duplicates

/** Creates `<name>.fifo`: FIFO queue names must end in ".fifo". */
export async function createFifoQueue(sqs: SQSClient, name: string): Promise<string> {
  // TODO 11: create the queue `${name}.fifo` with CreateQueueCommand, Attributes: { FifoQueue: "true" }, tags: queueTags().
  todo(11, "create a FIFO queue: its name ends in .fifo and FifoQueue is true");
}

/** Messages of one group come out in the order they went in; a job sent twice (same id) is enqueued once. */
export async function sendFifoMessage(sqs: SQSClient, queueUrl: string, job: Job, groupId: string): Promise<string> {
  // TODO 12: send the job with SendMessageCommand, with MessageGroupId: groupId and MessageDeduplicationId: job.id.
  todo(12, "send the job with a MessageGroupId and a MessageDeduplicationId");
}

// Step 9 ─ a worker

/** Receives, handles and deletes jobs until `signal` is aborted. Returns how many messages it handled. */
export async function runWorker(
  sqs: SQSClient,
  queueUrl: string,
  handle: (job: Job) => Promise<void>,
  { signal, waitTimeSeconds = 20 }: WorkerOptions,
): Promise<number> {
  // TODO 13: until signal.aborted: receiveMessages(…, { waitTimeSeconds, abortSignal: signal }) (if it throws because
  // the signal was aborted, stop); handle each job, and delete its message only if handle succeeded. Return how many you deleted.
  todo(13, "loop until the signal is aborted: receive, handle, delete; return how many were handled");
}

// Step 10 ─ clean up

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
}

export async function main(): Promise<void> {
  const sqs = createClient(SQSClient);
  const created: string[] = [];
  try {
    // 1. A queue for the jobs, and a dead-letter queue for the jobs that always fail.
    const deadLetterUrl = await createQueue(sqs, uniqueName("jobs-dlq"));
    created.push(deadLetterUrl);
    const queueUrl = await createQueue(sqs, uniqueName("jobs"), { VisibilityTimeout: "1" });
    created.push(queueUrl);
    await setRedrivePolicy(sqs, queueUrl, await getQueueArn(sqs, deadLetterUrl), 2);
    console.log(`created ${queueUrl}\n  dead letters go to ${deadLetterUrl} after 2 receives`);

    // 2. The producer: one job, a batch, and the first job again (a producer retrying after a timeout).
    const first: Job = { id: "invoice-1", task: "email invoice 1" };
    await sendMessage(sqs, queueUrl, first);
    await sendMessageBatch(sqs, queueUrl, [
      { id: "invoice-2", task: "email invoice 2" },
      { id: "invoice-3", task: "email invoice 3" },
      { id: "invoice-13", task: "poison" },
    ]);
    await sendMessage(sqs, queueUrl, first);
    console.log("sent 5 messages: invoice-1, a batch of 3, and invoice-1 again");

    // 3. A worker: processes each job once, leaves the poison one to SQS.
    const processed = new Set<string>();
    const work = async (job: Job): Promise<void> => {
      if (job.task === "poison") {
        console.log(`  ✗ ${job.id} fails`);
        throw new Error(`cannot do ${job.id}`);
      }
      console.log(`  ✓ ${job.task}`);
    };
    const stop = new AbortController();
    const handle = async (job: Job): Promise<void> => {
      await processOnce(job, processed, work);
    };
    const worker = runWorker(sqs, queueUrl, handle, { signal: stop.signal, waitTimeSeconds: 1 });
    // The worker runs until the poison job shows up in the dead-letter queue.
    let dead: Message[] = [];
    for (let tries = 0; dead.length === 0 && tries < 10; tries++) {
      dead = await receiveMessages(sqs, deadLetterUrl, { waitTimeSeconds: 2 });
    }
    stop.abort();
    const handled = await worker;
    console.log(`the worker handled ${handled} messages and did ${processed.size} jobs (the duplicate was skipped)`);
    for (const message of dead) {
      console.log(`dead-letter queue: ${jobOf(message).id}, received ${message.Attributes?.ApproximateReceiveCount} times in all`);
      await deleteMessage(sqs, deadLetterUrl, message.ReceiptHandle!);
    }

    // 4. A slow job: the worker extends its visibility timeout, so nobody else gets it meanwhile.
    await sendMessage(sqs, queueUrl, { id: "report-1", task: "a slow report" });
    const [slow] = await receiveMessages(sqs, queueUrl, { waitTimeSeconds: 2, maxMessages: 1 });
    if (!slow?.ReceiptHandle) throw new Error("the slow job did not arrive");
    await changeMessageVisibility(sqs, queueUrl, slow.ReceiptHandle, 10);
    const meanwhile = await receiveMessages(sqs, queueUrl, { waitTimeSeconds: 2 });
    console.log(`slow job extended to 10 s: another receive 2 s later got ${meanwhile.length} messages`);
    await deleteMessage(sqs, queueUrl, slow.ReceiptHandle);

    // 5. A FIFO queue: order within a group, and a duplicate dropped.
    const fifoUrl = await createFifoQueue(sqs, uniqueName("orders"));
    created.push(fifoUrl);
    const steps: Array<[Job, string]> = [
      [{ id: "ana-1", task: "ana: pay" }, "ana"],
      [{ id: "bob-1", task: "bob: pay" }, "bob"],
      [{ id: "ana-2", task: "ana: ship" }, "ana"],
      [{ id: "ana-2", task: "ana: ship" }, "ana"],
      [{ id: "bob-2", task: "bob: ship" }, "bob"],
    ];
    for (const [job, group] of steps) await sendFifoMessage(sqs, fifoUrl, job, group);
    const received: string[] = [];
    let batch = await receiveMessages(sqs, fifoUrl, { waitTimeSeconds: 1 });
    while (batch.length > 0) {
      received.push(...batch.map((message) => jobOf(message).task));
      await deleteMessageBatch(sqs, fifoUrl, batch);
      batch = await receiveMessages(sqs, fifoUrl, { waitTimeSeconds: 1 });
    }
    console.log(`FIFO: sent ${steps.length} (one twice), received ${received.length}: ${received.join(" → ")}`);
  } finally {
    for (const url of created.reverse()) {
      await deleteQueue(sqs, url);
      console.log(`deleted ${url}`);
    }
  }
}

runMain(import.meta.url, main);
