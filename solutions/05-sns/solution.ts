// Lesson 05: SNS, the Simple Notification Service. Publish once; every subscriber gets its copy.
// A shop publishes order events to a topic. Two SQS queues subscribe (an audit log that keeps
// everything, and a warehouse queue that only wants placed orders), and so does a small HTTP
// endpoint running on this laptop, which must first confirm that it wants the messages.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
  type MessageAttributeValue,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { createClient, runMain, say, uniqueName, workshopTags } from "../../workshop/lesson";

/** An SQS queue as this lesson needs it: its URL (to receive) and its ARN (to subscribe and to allow). */
export interface Queue {
  url: string;
  arn: string;
}

/** A filter policy: attribute name → the values a subscriber wants, e.g. { eventType: ["order_placed"] }. */
export type FilterPolicy = Record<string, string[]>;

export interface QueueSubscriptionOptions {
  /** Deliver the message body as published, instead of wrapped in SNS's JSON envelope. */
  rawMessageDelivery?: boolean;
  /** Deliver only the messages whose attributes match. */
  filterPolicy?: FilterPolicy;
}

/** What SNS POSTs to an HTTP(S) subscriber (the body is JSON). */
export interface SnsHttpMessage {
  Type: "SubscriptionConfirmation" | "Notification" | "UnsubscribeConfirmation";
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  /** Only in a SubscriptionConfirmation: the proof that you received it. */
  Token?: string;
  /** Only in a SubscriptionConfirmation: opening this URL also confirms. */
  SubscribeURL?: string;
}

/** A local HTTP endpoint that SNS posts to. */
export interface HttpSubscriber {
  /** The endpoint to subscribe: http://127.0.0.1:<a free port>/sns */
  url: string;
  /** Every message SNS posted, in order of arrival. */
  received: SnsHttpMessage[];
  /** What went wrong while handling a message (a confirmation that failed, say). */
  errors: unknown[];
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Step 1 (core): the topic.

/** Creates the topic and returns its ARN (the ARN is how everything else names the topic). */
export async function createTopic(sns: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Tags: workshopTags() }));
  if (!TopicArn) throw new Error(`CreateTopic returned no TopicArn for ${name}`);
  return TopicArn;
}

// ---------------------------------------------------------------------------------------------
// Step 2 (core): the queues, and the permission for the topic to write into them.

/** Creates an SQS queue (lesson 06 is all about queues) and looks up its ARN. */
export async function createQueue(sqs: SQSClient, name: string): Promise<Queue> {
  const tags = Object.fromEntries(workshopTags().map((tag) => [tag.Key, tag.Value]));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, tags }));
  if (!QueueUrl) throw new Error(say(`CreateQueue returned no QueueUrl for ${name}`, `CreateQueue no devolvió ningún QueueUrl para ${name}`));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(say(`GetQueueAttributes returned no QueueArn for ${QueueUrl}`, `GetQueueAttributes no devolvió ningún QueueArn para ${QueueUrl}`));
  return { url: QueueUrl, arn };
}

/** Lets this topic, and only this topic, send messages to the queue (a queue policy). */
export async function allowTopicToSendMessages(sqs: SQSClient, queue: Queue, topicArn: string): Promise<void> {
  // #region slide:queue-policy
  // Nobody may write to a queue unless its policy says so. Here: the SNS service may call
  // sqs:SendMessage on this queue, but only on behalf of our topic (aws:SourceArn).
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowTopicToSendMessages",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue.arn,
        Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
      },
    ],
  };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }));
  // #endregion
}

// ---------------------------------------------------------------------------------------------
// Step 3 (core): subscribe the queues.

/** Subscribes a queue to the topic and returns the subscription's ARN. */
export async function subscribeQueue(
  sns: SNSClient,
  topicArn: string,
  queueArn: string,
  options: QueueSubscriptionOptions = {},
): Promise<string> {
  // #region slide:subscribe-queue
  const attributes: Record<string, string> = {};
  if (options.rawMessageDelivery) attributes.RawMessageDelivery = "true";
  if (options.filterPolicy) attributes.FilterPolicy = JSON.stringify(options.filterPolicy);
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: queueArn,
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  // #endregion
  if (!SubscriptionArn) throw new Error(`Subscribe returned no SubscriptionArn for ${queueArn}`);
  return SubscriptionArn;
}

// ---------------------------------------------------------------------------------------------
// Step 4 (core): publish.

/** Publishes one message with string attributes (what filter policies look at). Returns its MessageId. */
export async function publishMessage(
  sns: SNSClient,
  topicArn: string,
  message: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    messageAttributes[name] = { DataType: "String", StringValue: value };
  }
  const { MessageId } = await sns.send(
    new PublishCommand({ TopicArn: topicArn, Message: message, MessageAttributes: messageAttributes }),
  );
  if (!MessageId) throw new Error(`Publish returned no MessageId`);
  return MessageId;
}

// ---------------------------------------------------------------------------------------------
// Step 5 (core): receive, knowing that delivery takes a while.

export interface ReceiveOptions {
  /** Stop as soon as this many messages have arrived. */
  expected: number;
  /** Give up after this many long polls (each waits up to WAIT_SECONDS). */
  maxAttempts?: number;
}

/**
 * How long one receive waits for a message (long polling). Real consumers wait 20 s, the maximum:
 * fewer empty answers, fewer requests to pay for. This lesson waits 1 s so that its checks stay fast.
 */
export const WAIT_SECONDS = 1;

/** Long-polls the queue until `expected` messages arrived or the attempts ran out; deletes what it read. */
export async function receiveMessages(sqs: SQSClient, queueUrl: string, options: ReceiveOptions): Promise<Message[]> {
  const { expected, maxAttempts = 5 } = options;
  const received: Message[] = [];
  // #region slide:receive-long-polling
  // "Consistencia eventual": a published message is not in the queue at once. Ask several times,
  // each time waiting for something to arrive (long polling), never forever. Without a wait, SQS
  // answers at once from a sample of its servers, and can say "empty" while messages wait.
  for (let attempt = 1; attempt <= maxAttempts && received.length < expected; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: WAIT_SECONDS,
        MessageAttributeNames: ["All"],
      }),
    );
    for (const message of Messages) {
      received.push(message);
      // A message that is read but not deleted comes back when its visibility timeout ends.
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  // #endregion
  return received;
}

// ---------------------------------------------------------------------------------------------
// Step 6 (stretch): an HTTP subscriber.

/** Subscribes an HTTP endpoint. Returns the subscription's ARN, even while it waits for confirmation. */
export async function subscribeHttpEndpoint(sns: SNSClient, topicArn: string, url: string): Promise<string> {
  const { SubscriptionArn } = await sns.send(
    // Without ReturnSubscriptionArn, AWS answers "pending confirmation" instead of an ARN.
    new SubscribeCommand({ TopicArn: topicArn, Protocol: "http", Endpoint: url, ReturnSubscriptionArn: true }),
  );
  if (!SubscriptionArn) throw new Error(`Subscribe returned no SubscriptionArn for ${url}`);
  return SubscriptionArn;
}

// ---------------------------------------------------------------------------------------------
// Step 7 (stretch): confirm the subscription.

/** Answers a SubscriptionConfirmation: hands its Token back to SNS. Returns the subscription's ARN. */
export async function confirmSubscription(sns: SNSClient, message: SnsHttpMessage): Promise<string> {
  // #region slide:confirm-subscription
  // "Cuando es por email, tienen que confirmar la suscripción": an email or HTTP subscriber gets
  // nothing until it proves it asked for the messages, by sending back the token SNS sent it.
  // AuthenticateOnUnsubscribe: only the topic's owner, signed in, may unsubscribe it later.
  const { SubscriptionArn } = await sns.send(
    new ConfirmSubscriptionCommand({ TopicArn: message.TopicArn, Token: message.Token, AuthenticateOnUnsubscribe: "true" }),
  );
  // #endregion
  if (!SubscriptionArn) throw new Error(`ConfirmSubscription returned no SubscriptionArn`);
  return SubscriptionArn;
}

// ---------------------------------------------------------------------------------------------
// Glue: the local HTTP endpoint, waiting for it, and cleaning up.

/**
 * The host name SNS should use to reach this laptop. 127.0.0.1 works when the emulator runs on
 * this machine. An emulator in Docker or on another machine cannot reach this laptop's 127.0.0.1:
 * set SNS_SUBSCRIBER_HOST (host.docker.internal, or the laptop's address on the network), and the
 * endpoint then listens on every interface instead of on loopback only.
 */
function subscriberHost(): { listen: string; advertise: string } {
  const advertise = process.env.SNS_SUBSCRIBER_HOST || "127.0.0.1";
  return { listen: advertise === "127.0.0.1" || advertise === "localhost" ? "127.0.0.1" : "0.0.0.0", advertise };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts an HTTP endpoint on a free port that records what SNS posts and confirms subscriptions. */
export async function startHttpSubscriber(sns: SNSClient): Promise<HttpSubscriber> {
  const received: SnsHttpMessage[] = [];
  const errors: unknown[] = [];
  const server = createServer(async (request, response) => {
    try {
      const message = JSON.parse(await readBody(request)) as SnsHttpMessage;
      received.push(message);
      if (message.Type === "SubscriptionConfirmation") await confirmSubscription(sns, message);
      response.writeHead(200).end();
    } catch (err) {
      errors.push(err);
      response.writeHead(500).end();
    }
  });
  const host = subscriberHost();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host.listen, resolve); // port 0: the system picks a free port
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.advertise}:${port}/sns`,
    received,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the subscription is no longer pending confirmation. moto confirms HTTP and email
 * subscriptions at once; LocalStack and AWS wait for the endpoint to confirm (step 7).
 */
export async function waitUntilConfirmed(sns: SNSClient, subscriptionArn: string, maxAttempts = 25): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
    if (Attributes?.PendingConfirmation === "false") return;
    await sleep(200);
  }
  throw new Error(say(`${subscriptionArn} is still pending confirmation: did the endpoint confirm it?`, `${subscriptionArn} sigue pendiente de confirmación: ¿el endpoint la confirmó?`));
}

/** Waits (a bounded while) for a notification with this message to reach the HTTP subscriber. */
export async function waitForHttpNotification(subscriber: HttpSubscriber, message: string, maxAttempts = 50): Promise<SnsHttpMessage | undefined> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const found = subscriber.received.find((m) => m.Type === "Notification" && m.Message === message);
    if (found) return found;
    await sleep(100);
  }
  return undefined;
}

/**
 * Publishes a probe until one reaches the queue, within maxWaitSeconds. On AWS a new queue policy
 * can take up to a minute to reach every SQS server, and SNS does not retry a delivery that SQS
 * refused: whatever is published before the policy is in force is lost. On an emulator the first
 * probe arrives. Probes carry eventType=probe, which no filter policy here lets through; they are
 * deleted once seen. Returns how many probes it took.
 */
export async function waitUntilTopicDelivers(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  queueUrl: string,
  options: { maxWaitSeconds?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (options.maxWaitSeconds ?? 90) * 1000;
  for (let probes = 1; ; probes++) {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify({ probe: probes }),
        MessageAttributes: { eventType: { DataType: "String", StringValue: "probe" } },
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageAttributeNames: ["All"] }),
    );
    for (const m of Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    if (Messages.length > 0) return probes;
    if (Date.now() > deadline) {
      throw new Error(say(`Published ${probes} probes to ${topicArn} for ${options.maxWaitSeconds ?? 90} s and none reached ${queueUrl}: is the queue subscribed, and does its policy let the topic send?`, `Publiqué ${probes} mensajes de prueba en ${topicArn} durante ${options.maxWaitSeconds ?? 90} s y ninguno llegó a ${queueUrl}: ¿la cola está suscripta, y su política deja mandar al tópico?`));
    }
  }
}

export async function unsubscribe(sns: SNSClient, subscriptionArn: string): Promise<void> {
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
}

export async function deleteTopic(sns: SNSClient, topicArn: string): Promise<void> {
  await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
}

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
}

// ---------------------------------------------------------------------------------------------

export async function main(): Promise<void> {
  const sns = createClient(SNSClient);
  const sqs = createClient(SQSClient);
  const queues: Queue[] = [];
  const subscriptions: string[] = [];
  let topicArn: string | undefined;
  let subscriber: HttpSubscriber | undefined;
  try {
    topicArn = await createTopic(sns, uniqueName("orders"));
    console.log(say(`Topic:     ${topicArn}`, `Tópico:    ${topicArn}`));

    const audit = await createQueue(sqs, uniqueName("audit"));
    const warehouse = await createQueue(sqs, uniqueName("warehouse"));
    queues.push(audit, warehouse);
    for (const queue of [warehouse, audit]) await allowTopicToSendMessages(sqs, queue, topicArn);
    console.log(say(`Queues:    ${audit.url}\n           ${warehouse.url}  (the topic may send to both)`, `Colas:     ${audit.url}\n           ${warehouse.url}  (el tópico puede mandar a las dos)`));

    subscriptions.push(await subscribeQueue(sns, topicArn, audit.arn));
    subscriptions.push(
      await subscribeQueue(sns, topicArn, warehouse.arn, {
        rawMessageDelivery: true,
        filterPolicy: { eventType: ["order_placed"] },
      }),
    );
    console.log(say(`Subscribed the audit queue (everything, in SNS's envelope)`, `Suscribí la cola de auditoría (todo, en el sobre de SNS)`));
    console.log(say(`Subscribed the warehouse queue (only eventType=order_placed, raw)`, `Suscribí la cola del depósito (solo eventType=order_placed, sin procesar)`));
    // On AWS the queue policies take a moment to be in force, and a refused delivery is lost.
    const probes = await waitUntilTopicDelivers(sns, sqs, topicArn, audit.url);
    console.log(say(`The topic delivers to the audit queue (${probes} probe${probes === 1 ? "" : "s"}; on AWS it can take up to a minute)`, `El tópico entrega a la cola de auditoría (${probes} ${probes === 1 ? "mensaje" : "mensajes"} de prueba; en AWS puede tardar hasta un minuto)`));

    subscriber = await startHttpSubscriber(sns);
    const httpSubscription = await subscribeHttpEndpoint(sns, topicArn, subscriber.url);
    subscriptions.push(httpSubscription);
    await waitUntilConfirmed(sns, httpSubscription);
    const confirmations = subscriber.received.filter((m) => m.Type === "SubscriptionConfirmation").length;
    console.log(
      confirmations
        ? say(`Subscribed ${subscriber.url}: SNS sent a confirmation token and the endpoint confirmed it`, `Suscribí ${subscriber.url}: SNS mandó un token de confirmación y el endpoint lo confirmó`)
        : say(`Subscribed ${subscriber.url}: the emulator confirmed it at once (moto does)`, `Suscribí ${subscriber.url}: el emulador la confirmó de inmediato (moto lo hace así)`),
    );

    const placed = JSON.stringify({ orderId: "A-1", item: "mate" });
    const cancelled = JSON.stringify({ orderId: "A-2", item: "bombilla" });
    await publishMessage(sns, topicArn, placed, { eventType: "order_placed" });
    await publishMessage(sns, topicArn, cancelled, { eventType: "order_cancelled" });
    console.log(say(`\nPublished two messages: order_placed and order_cancelled`, `\nPubliqué dos mensajes: order_placed y order_cancelled`));

    const inAudit = await receiveMessages(sqs, audit.url, { expected: 2 });
    console.log(say(`\nThe audit queue got ${inAudit.length} messages, each in SNS's JSON envelope:`, `\nA la cola de auditoría le llegaron ${inAudit.length} mensajes, cada uno en el sobre JSON de SNS:`));
    for (const m of inAudit) {
      const envelope = JSON.parse(m.Body ?? "{}") as { Type: string; Message: string; MessageAttributes?: Record<string, { Value: string }> };
      console.log(`  ${envelope.Type}: ${envelope.Message}  (eventType=${envelope.MessageAttributes?.eventType?.Value})`);
    }
    // Ask for two, to see that the second never comes: a second poll waits one more second, then gives up.
    const inWarehouse = await receiveMessages(sqs, warehouse.url, { expected: 2, maxAttempts: 2 });
    // On AWS a new filter policy can take up to 15 minutes to apply fully: a cancelled order may still slip through at first.
    console.log(say(`The warehouse queue got ${inWarehouse.length} message(s), raw (the filter policy keeps cancelled orders out):`, `A la cola del depósito le llegaron ${inWarehouse.length} mensaje(s), sin procesar (la política de filtro deja afuera los pedidos cancelados):`));
    for (const m of inWarehouse) console.log(`  ${m.Body}  (eventType=${m.MessageAttributes?.eventType?.StringValue})`);

    await waitForHttpNotification(subscriber, cancelled);
    const atHttp = subscriber.received.filter((m) => m.Type === "Notification");
    console.log(say(`The HTTP endpoint got ${atHttp.length} notifications (no filter there):`, `Al endpoint HTTP le llegaron ${atHttp.length} notificaciones (ahí no hay filtro):`));
    for (const m of atHttp) console.log(`  ${m.Message}`);
  } finally {
    // If an unsubscribe fails, carry on: deleting the topic deletes its subscriptions too.
    for (const arn of subscriptions) await unsubscribe(sns, arn).catch(() => {});
    if (topicArn) await deleteTopic(sns, topicArn);
    for (const queue of queues) await deleteQueue(sqs, queue.url);
    await subscriber?.close();
    if (topicArn) {
      console.log(say(`\nCleaned up: ${subscriptions.length} subscriptions, the topic, ${queues.length} queues${subscriber ? ", the HTTP endpoint" : ""}.`, `\nLimpieza hecha: ${subscriptions.length} suscripciones, el tópico, ${queues.length} colas${subscriber ? ", el endpoint HTTP" : ""}.`));
    }
  }
}

runMain(import.meta.url, main);
