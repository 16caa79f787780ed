// Lesson 06: SQS, the Simple Queue Service. A producer puts jobs in a queue; workers take them out,
// do them, and delete them. Nothing is lost when a worker dies: its job comes back to the queue.
// Check your work: npm run check -- 06 (core: TODOs 1–8; stretch: 9–13). Hints: npm start -- hint 06
import { setTimeout as sleep } from "node:timers/promises";
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
  type BatchResultErrorEntry,
  type Message,
  type QueueAttributeName,
} from "@aws-sdk/client-sqs";
import { createClient, runMain, say, todo, uniqueName, workshopTags } from "../../workshop/lesson";

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
  // TODO 1: create the queue (CreateQueue) with the attributes you are given and the workshop's tags,
  // and return the URL SQS gives it: a queue is always named by that URL, never by one you build.
  todo(1, "create the queue with CreateQueue and return its QueueUrl");
}

// Step 2 ─ send

export async function sendMessage(sqs: SQSClient, queueUrl: string, job: Job): Promise<string> {
  // TODO 2: send the job (SendMessage). A message body is text, so the job travels as JSON.
  // Return the id SQS gave the message.
  todo(2, "send the job as JSON with SendMessage and return its MessageId");
}

// Step 3 ─ receive, with long polling

export async function receiveMessages(sqs: SQSClient, queueUrl: string, options: ReceiveOptions = {}): Promise<Message[]> {
  // TODO 3: receive (ReceiveMessage) with long polling: wait up to the given seconds for a message
  // instead of answering "nothing" at once. Pass on how many to take, how long to hide them, and ask
  // for each message's receive count. The abort signal belongs to the request, not to the command.
  todo(3, "receive with ReceiveMessage, long polling, and return the messages (none: an empty list)");
}

// Step 4 ─ delete what you have done

export async function deleteMessage(sqs: SQSClient, queueUrl: string, receiptHandle: string): Promise<void> {
  // TODO 4: receiving does not remove a message: delete it (DeleteMessage) by the receipt handle
  // of that receipt, once its job is done.
  todo(4, "delete the message with DeleteMessage");
}

// Step 5 ─ at-least-once delivery needs an idempotent consumer

/** Runs `handle` for a job unless its id is already claimed (being done, or done). Returns whether it ran. */
export async function processOnce(job: Job, claimed: Set<string>, handle: (job: Job) => Promise<void>): Promise<boolean> {
  // TODO 5: the idempotent consumer. Skip a job whose id is already claimed; otherwise claim it
  // *before* the work, so that a second copy arriving meanwhile finds the claim. If the work throws,
  // give the claim back and let the error through: the job must run again when its message returns.
  todo(5, "claim the job's id before doing it, skip it if claimed, give the claim back if it fails");
}

// Steps 6–7 ─ a dead-letter queue for the messages nobody can process

export async function getQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  // TODO 6: ask SQS for the queue's ARN (GetQueueAttributes, the QueueArn attribute): never build one.
  todo(6, "read the QueueArn attribute with GetQueueAttributes");
}

/** After `maxReceiveCount` receives without a delete, SQS moves a message to the dead-letter queue. */
export async function setRedrivePolicy(sqs: SQSClient, queueUrl: string, deadLetterQueueArn: string, maxReceiveCount: number): Promise<void> {
  // TODO 7: set the queue's redrive policy (SetQueueAttributes): which queue gets the dead letters,
  // and after how many receives. Every attribute value is a string; this one is a JSON document.
  todo(7, "set the RedrivePolicy attribute with SetQueueAttributes");
}

// Step 8 ─ a worker

/** Receives, handles and deletes jobs until `signal` is aborted. Returns how many messages it handled. */
export async function runWorker(
  sqs: SQSClient,
  queueUrl: string,
  handle: (job: Job) => Promise<void>,
  { signal, waitTimeSeconds = 20 }: WorkerOptions,
): Promise<number> {
  // TODO 8: the worker loop. Until the signal is aborted: receive (long polling, cut short by the
  // signal: then stop), hand each job to `handle`, and delete a message only once its job succeeded
  // (a failed one comes back on its own). Return how many messages you deleted.
  todo(8, "loop until the signal is aborted: receive, handle, delete what succeeded; return the count");
}

// Steps 9–10 ─ batches: up to 10 messages in one request

/** How many times a batch call is made for the entries SQS failed on its own side, before giving up. */
export const BATCH_ATTEMPTS = 8;

/** What a batch reports failed, in a sentence: "invoice-2: InternalError, invoice-3: InternalError". */
function failures(failed: BatchResultErrorEntry[], name: (id: string) => string | undefined): string {
  return failed.map((f) => `${name(f.Id!)}: ${f.Code}`).join(", ");
}

/** Sends up to 10 jobs (SQS's limit per batch) in one request. Returns their message ids, in order. */
export async function sendMessageBatch(sqs: SQSClient, queueUrl: string, jobs: Job[]): Promise<string[]> {
  // TODO 9: send the jobs in one request (SendMessageBatch), each entry with an id unique in the batch.
  // A batch answers 200 even when some entries failed. Send again only the entries SQS failed on its
  // own side, after a wait that doubles, at most BATCH_ATTEMPTS calls in all; throw for an entry
  // refused as the sender's fault, or still failing at the end. Return the message ids in the jobs' order.
  todo(9, "send the jobs with SendMessageBatch, retry only the Failed entries, return the MessageIds in order");
}

export async function deleteMessageBatch(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  // TODO 10: delete the messages in one request (DeleteMessageBatch), with the same care for the
  // entries it reports failed as in TODO 9.
  todo(10, "delete the messages with DeleteMessageBatch, retrying only the Failed entries");
}

// Step 11 ─ the visibility timeout

/**
 * A worker that needs more time says so, before the message reappears for someone else. The new
 * timeout replaces the old one and counts from now (0 gives the message back at once).
 */
export async function changeMessageVisibility(sqs: SQSClient, queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
  // TODO 11: give the message a new visibility timeout (ChangeMessageVisibility).
  todo(11, "change the message's visibility timeout with ChangeMessageVisibility");
}

// Steps 12–13 ─ FIFO queues: order within a group, and no duplicate sends

/** Creates `<name>.fifo`: FIFO queue names must end in ".fifo". */
export async function createFifoQueue(sqs: SQSClient, name: string): Promise<string> {
  // TODO 12: create a FIFO queue (CreateQueue): its name ends in .fifo and it says it is FIFO in its
  // attributes. It carries the workshop's tags like every queue.
  todo(12, "create a FIFO queue: its name ends in .fifo, FifoQueue is on, and it has the workshop's tags");
}

/** Messages of one group come out in the order they went in; a job sent twice (same id) within 5 minutes is enqueued once. */
export async function sendFifoMessage(sqs: SQSClient, queueUrl: string, job: Job, groupId: string): Promise<string> {
  // TODO 13: send the job (SendMessage) in its message group (order is kept within a group), with the
  // job's id as its deduplication id (the same job sent again within 5 minutes is enqueued once).
  todo(13, "send the job with a MessageGroupId and a MessageDeduplicationId");
}

// Clean up ─ already written

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
}

export async function main(): Promise<void> {
  const sqs = createClient(SQSClient);
  const created: string[] = [];
  try {
    // 1. A queue for the jobs, and a dead-letter queue for the jobs that always fail.
    // The dead-letter queue keeps its messages 14 days: longer than its source's 4, because a moved
    // message keeps the age it had in the source queue.
    const deadLetterUrl = await createQueue(sqs, uniqueName("jobs-dlq"), { MessageRetentionPeriod: "1209600" });
    created.push(deadLetterUrl);
    const queueUrl = await createQueue(sqs, uniqueName("jobs"), { VisibilityTimeout: "1" });
    created.push(queueUrl);
    await setRedrivePolicy(sqs, queueUrl, await getQueueArn(sqs, deadLetterUrl), 2);
    console.log(
      say(
        `created ${queueUrl}\n  dead letters go to ${deadLetterUrl} after 2 receives`,
        `creé ${queueUrl}\n  los mensajes fallidos van a ${deadLetterUrl} después de 2 recepciones`,
      ),
    );

    // 2. The producer: one job, a batch, and the first job again (a producer retrying after a timeout).
    const first: Job = { id: "invoice-1", task: "email invoice 1" };
    await sendMessage(sqs, queueUrl, first);
    await sendMessageBatch(sqs, queueUrl, [
      { id: "invoice-2", task: "email invoice 2" },
      { id: "invoice-3", task: "email invoice 3" },
      { id: "invoice-13", task: "poison" },
    ]);
    await sendMessage(sqs, queueUrl, first);
    console.log(
      say(
        "sent 5 messages: invoice-1, a batch of 3, and invoice-1 again",
        "mandé 5 mensajes: invoice-1, un lote de 3, e invoice-1 otra vez",
      ),
    );

    // 3. A worker: processes each job once, leaves the poison one to SQS. It long-polls for 1 s to keep
    //    the demo short; a real worker waits 20 s.
    const processed = new Set<string>();
    const work = async (job: Job): Promise<void> => {
      if (job.task === "poison") {
        console.log(say(`  ✗ ${job.id} fails`, `  ✗ ${job.id} falla`));
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
    console.log(
      say(
        `the worker handled ${handled} messages and did ${processed.size} jobs (the duplicate was skipped)`,
        `el worker procesó ${handled} mensajes e hizo ${processed.size} trabajos (salteó el duplicado)`,
      ),
    );
    for (const message of dead) {
      const times = message.Attributes?.ApproximateReceiveCount;
      console.log(
        say(
          `dead-letter queue: ${jobOf(message).id}, received ${times} times in all`,
          `cola de mensajes fallidos: ${jobOf(message).id}, recibido ${times} veces en total`,
        ),
      );
      await deleteMessage(sqs, deadLetterUrl, message.ReceiptHandle!);
    }

    // 4. A slow job: the worker extends its visibility timeout, so nobody else gets it meanwhile.
    await sendMessage(sqs, queueUrl, { id: "report-1", task: "a slow report" });
    const [slow] = await receiveMessages(sqs, queueUrl, { waitTimeSeconds: 2, maxMessages: 1 });
    if (!slow?.ReceiptHandle) throw new Error(say("the slow job did not arrive", "el trabajo lento no llegó"));
    await changeMessageVisibility(sqs, queueUrl, slow.ReceiptHandle, 10);
    const meanwhile = await receiveMessages(sqs, queueUrl, { waitTimeSeconds: 2 });
    console.log(
      say(
        `slow job extended to 10 s: another receive 2 s later got ${meanwhile.length} messages`,
        `trabajo lento extendido a 10 s: otra recepción 2 s después trajo ${meanwhile.length} mensajes`,
      ),
    );
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
    const order = received.join(" → ");
    console.log(
      say(
        `FIFO: sent ${steps.length} (one twice), received ${received.length}: ${order}`,
        `FIFO: mandé ${steps.length} (uno dos veces), recibí ${received.length}: ${order}`,
      ),
    );
  } finally {
    // Clean up even when something failed, and go on when one delete fails: the others still go.
    for (const url of created.reverse()) {
      try {
        await deleteQueue(sqs, url);
        console.log(say(`deleted ${url}`, `borré ${url}`));
      } catch (err) {
        const why = (err as Error).name;
        console.error(
          say(
            `could not delete ${url} (${why}): npm start -- cleanup will find it`,
            `no pude borrar ${url} (${why}): npm start -- cleanup la va a encontrar`,
          ),
        );
      }
    }
  }
}

runMain(import.meta.url, main);
