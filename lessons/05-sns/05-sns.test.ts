import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  paginateListSubscriptionsByTopic,
  SNSClient,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { afterAll, expect, test } from "vitest";
import { createClient, injectFaults, loadLesson, recordCalls, say, uniqueName, waitFor, within } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("05-sns");
type HttpSubscriber = Awaited<ReturnType<typeof lesson.startHttpSubscriber>>;

const sns = createClient(SNSClient);
const sqs = createClient(SQSClient);

// Everything this file creates, deleted in afterAll whatever happened in the tests.
const created = { topics: [] as string[], queueUrls: [] as string[], subscribers: [] as HttpSubscriber[] };

afterAll(async () => {
  for (const topicArn of created.topics) {
    for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: topicArn })) {
      for (const { SubscriptionArn } of page.Subscriptions ?? []) {
        if (SubscriptionArn?.startsWith("arn:")) await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
      }
    }
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
  }
  for (const QueueUrl of created.queueUrls) await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  for (const subscriber of created.subscribers) await subscriber.close();
});

// The steps build on each other. Each is made once, the first time a test needs it; a step that
// fails (a TODO not done yet) fails every test that needs it, with the same message.
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

const topic = once(async () => {
  const topicArn = await lesson.createTopic(sns, uniqueName("orders"));
  created.topics.push(topicArn);
  return topicArn;
});

const queues = once(async () => {
  const topicArn = await topic();
  const audit = await lesson.createQueue(sqs, uniqueName("audit"));
  created.queueUrls.push(audit.url);
  const warehouse = await lesson.createQueue(sqs, uniqueName("warehouse"));
  created.queueUrls.push(warehouse.url);
  await lesson.allowTopicToSendMessages(sqs, audit, topicArn);
  await lesson.allowTopicToSendMessages(sqs, warehouse, topicArn);
  return { audit, warehouse };
});

const WAREHOUSE_FILTER = { eventType: ["order_placed"] };

const subscriptions = once(async () => {
  const topicArn = await topic();
  const { audit, warehouse } = await queues();
  const auditArn = await lesson.subscribeQueue(sns, topicArn, audit.arn);
  const warehouseArn = await lesson.subscribeQueue(sns, topicArn, warehouse.arn, {
    rawMessageDelivery: true,
    filterPolicy: WAREHOUSE_FILTER,
  });
  return { auditArn, warehouseArn };
});

const published = once(async () => {
  const topicArn = await topic();
  const { audit } = await queues();
  await subscriptions();
  // As on AWS, where a new queue policy takes a moment and a refused delivery is lost: probe first.
  await lesson.waitUntilTopicDelivers(sns, sqs, topicArn, audit.url, { maxWaitSeconds: 5 });
  const cancelled = JSON.stringify({ orderId: uniqueName("order"), event: "cancelled" });
  const placed = JSON.stringify({ orderId: uniqueName("order"), event: "placed" });
  // The cancelled order goes first: if the filter let it through, it would be waiting in the warehouse queue.
  const cancelledId = await lesson.publishMessage(sns, topicArn, cancelled, { eventType: "order_cancelled" });
  const placedId = await lesson.publishMessage(sns, topicArn, placed, { eventType: "order_placed" });
  return { placed, placedId, cancelled, cancelledId };
});

const httpSubscription = once(async () => {
  const topicArn = await topic();
  const subscriber = await lesson.startHttpSubscriber(sns);
  created.subscribers.push(subscriber);
  const subscriptionArn = await lesson.subscribeHttpEndpoint(sns, topicArn, subscriber.url);
  return { topicArn, subscriber, subscriptionArn };
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the HTTP endpoint received, for failure messages. */
function receivedAt(subscriber: HttpSubscriber): string {
  return subscriber.received.length ? subscriber.received.map((m) => `${m.Type} "${m.Message}"`).join("; ") : say("nothing", "nada");
}

const httpConfirmed = once(async () => {
  const http = await httpSubscription();
  const confirmed = lesson.waitUntilConfirmed(sns, http.subscriptionArn);
  confirmed.catch(() => {}); // awaited below; this only keeps an abandoned wait from being reported
  // Stop early when the endpoint's handler fails (step 7 not done, say), instead of waiting it out.
  let settled = false;
  while (!settled && !http.subscriber.errors.length) {
    settled = await Promise.race([confirmed.then(() => true, () => true), sleep(50).then(() => false)]);
  }
  if (http.subscriber.errors.length) throw http.subscriber.errors[0];
  try {
    await confirmed;
  } catch (err) {
    throw new Error(
      say(
        `${(err as Error).message}\nThe endpoint ${http.subscriber.url} received: ${receivedAt(http.subscriber)}.\n` +
          `If the emulator runs in Docker or on another machine, it cannot reach 127.0.0.1: see SNS_SUBSCRIBER_HOST in the README.`,
        `${(err as Error).message}\nEl endpoint ${http.subscriber.url} recibió: ${receivedAt(http.subscriber)}.\n` +
          `Si el emulador corre en Docker o en otra máquina, no puede llegar a 127.0.0.1: mirá SNS_SUBSCRIBER_HOST en el README.`,
      ),
    );
  }
  return http;
});

/** A probe of waitUntilTopicDelivers, in SNS's envelope: not one of the test's messages. */
function isProbe(message: Message): boolean {
  try {
    return (JSON.parse(message.Body ?? "{}") as { MessageAttributes?: Record<string, { Value?: string }> }).MessageAttributes?.eventType?.Value === "probe";
  } catch {
    return false;
  }
}

/** Long-polls a queue (the test's own reader, independent of step 5) until `expected` messages or 5 polls. */
async function drain(queueUrl: string, expected: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let attempt = 0; attempt < 5 && messages.length < expected; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    messages.push(...Messages.filter((m) => !isProbe(m)));
  }
  return messages;
}

/** One statement of an IAM policy, loosely typed: a field can hold one value or a list. */
type Statement = Record<string, any>;
const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Does this statement let the SNS service send messages to the queue on behalf of this topic (and only it)? */
function allowsTopic(statement: Statement, queueArn: string, topicArn: string): boolean {
  const sourceArn = statement.Condition?.ArnEquals?.["aws:SourceArn"] ?? statement.Condition?.ArnLike?.["aws:SourceArn"];
  return (
    statement.Effect === "Allow" &&
    list(statement.Principal?.Service).includes("sns.amazonaws.com") &&
    list<string>(statement.Action).some((action) => action.toLowerCase() === "sqs:sendmessage") &&
    list(statement.Resource).includes(queueArn) &&
    list(sourceArn).includes(topicArn)
  );
}

test(say("step 1: createTopic creates a topic, tagged for cleanup", "step 1: createTopic crea un tópico, con la etiqueta para la limpieza"), async () => {
  const topicArn = await topic();
  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
  expect(Attributes?.TopicArn, say(`GetTopicAttributes on the ARN createTopic returned answers: ${JSON.stringify(Attributes)}`, `GetTopicAttributes sobre el ARN que devolvió createTopic responde: ${JSON.stringify(Attributes)}`)).toBe(topicArn);
  const { Tags = [] } = await sns.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }));
  expect(Tags, say(`the topic's tags are ${JSON.stringify(Tags)}: pass workshopTags() as Tags`, `las etiquetas del tópico son ${JSON.stringify(Tags)}: pasá workshopTags() como Tags`)).toContainEqual({ Key: "workshop", Value: "no-toca-boton" });
});

test(say("step 2: allowTopicToSendMessages gives the queue a policy that lets only this topic send", "step 2: allowTopicToSendMessages le da a la cola una política que deja mandar solo a este tópico"), async () => {
  const topicArn = await topic();
  const { audit, warehouse } = await queues();
  for (const queue of [audit, warehouse]) {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["Policy"] }));
    expect(Attributes?.Policy, say(`the queue ${queue.url} has no Policy attribute`, `la cola ${queue.url} no tiene el atributo Policy`)).toBeTruthy();
    const policy = JSON.parse(Attributes!.Policy!) as { Statement: Statement | Statement[] };
    expect(
      list(policy.Statement).some((statement) => allowsTopic(statement, queue.arn, topicArn)),
      say(
        `the queue's policy is ${Attributes!.Policy}: it needs a statement that allows the service sns.amazonaws.com ` +
          `the action sqs:SendMessage on ${queue.arn}, with the condition ArnEquals aws:SourceArn = ${topicArn}`,
        `la política de la cola es ${Attributes!.Policy}: necesita una instrucción que le permita al servicio sns.amazonaws.com ` +
          `la acción sqs:SendMessage sobre ${queue.arn}, con la condición ArnEquals aws:SourceArn = ${topicArn}`,
      ),
    ).toBe(true);
  }
});

test(say("step 3: subscribeQueue subscribes both queues, one raw and filtered", "step 3: subscribeQueue suscribe las dos colas, una sin procesar (raw) y con filtro"), async () => {
  const topicArn = await topic();
  const { audit, warehouse } = await queues();
  const { auditArn, warehouseArn } = await subscriptions();

  const auditSub = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: auditArn }))).Attributes ?? {};
  expect(auditSub, say(`the audit subscription holds ${JSON.stringify(auditSub)}`, `la suscripción de auditoría tiene ${JSON.stringify(auditSub)}`)).toMatchObject({ TopicArn: topicArn, Protocol: "sqs", Endpoint: audit.arn });
  expect(auditSub.RawMessageDelivery ?? "false", say("the audit queue keeps SNS's JSON envelope: no RawMessageDelivery", "la cola de auditoría conserva el sobre JSON de SNS: nada de RawMessageDelivery")).toBe("false");
  expect(auditSub.FilterPolicy, say("the audit queue gets everything: no FilterPolicy", "a la cola de auditoría le llega todo: nada de FilterPolicy")).toBeFalsy();

  const warehouseSub = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: warehouseArn }))).Attributes ?? {};
  expect(warehouseSub, say(`the warehouse subscription holds ${JSON.stringify(warehouseSub)}`, `la suscripción del depósito tiene ${JSON.stringify(warehouseSub)}`)).toMatchObject({
    TopicArn: topicArn,
    Protocol: "sqs",
    Endpoint: warehouse.arn,
    RawMessageDelivery: "true",
  });
  expect(JSON.parse(warehouseSub.FilterPolicy ?? "null"), say(`the warehouse subscription's FilterPolicy is ${warehouseSub.FilterPolicy}`, `la FilterPolicy de la suscripción del depósito es ${warehouseSub.FilterPolicy}`)).toEqual(WAREHOUSE_FILTER);
});

test(say("step 4: publishMessage fans out; the audit queue gets both orders in SNS's JSON envelope", "step 4: publishMessage reparte (fan-out); a la cola de auditoría le llegan los dos pedidos en el sobre JSON de SNS"), async () => {
  const topicArn = await topic();
  const { audit } = await queues();
  const { placed, placedId, cancelled, cancelledId } = await published();
  expect(placedId, say("publishMessage returns the MessageId from Publish", "publishMessage devuelve el MessageId de Publish")).toBeTruthy();

  const bodies = (await drain(audit.url, 2)).map((m) => JSON.parse(m.Body ?? "{}") as Record<string, any>);
  const summary = JSON.stringify(bodies.map((b) => ({ MessageId: b.MessageId, Message: b.Message, MessageAttributes: b.MessageAttributes })));
  expect(bodies, say(`the audit queue holds ${summary}`, `la cola de auditoría tiene ${summary}`)).toHaveLength(2);
  for (const [id, message, eventType] of [
    [placedId, placed, "order_placed"],
    [cancelledId, cancelled, "order_cancelled"],
  ]) {
    const envelope = bodies.find((b) => b.MessageId === id);
    expect(envelope, say(`no envelope with MessageId ${id} in the audit queue: ${summary}`, `no hay ningún sobre con MessageId ${id} en la cola de auditoría: ${summary}`)).toBeDefined();
    expect(envelope, say(`the envelope of ${message}`, `el sobre de ${message}`)).toMatchObject({ Type: "Notification", TopicArn: topicArn, Message: message });
    expect(envelope!.MessageAttributes?.eventType, say(`the message attributes of ${message} are ${JSON.stringify(envelope!.MessageAttributes)}`, `los atributos de mensaje de ${message} son ${JSON.stringify(envelope!.MessageAttributes)}`)).toEqual({
      Type: "String",
      Value: eventType,
    });
  }
});

test(say("step 5: receiveMessages long-polls: only the placed order reaches the warehouse queue, raw", "step 5: receiveMessages hace sondeo largo: a la cola del depósito solo llega el pedido realizado, sin procesar (raw)"), async () => {
  const { warehouse } = await queues();
  const { placed } = await published();

  const received = await within(say("receiveMessages (expected 1, maxAttempts 5)", "receiveMessages (expected 1, maxAttempts 5: esperando 1 mensaje, 5 intentos como mucho)"), lesson.receiveMessages(sqs, warehouse.url, { expected: 1, maxAttempts: 5 }));
  const bodies = received.map((m) => m.Body);
  expect(bodies, say(`the warehouse queue gave ${JSON.stringify(bodies)}: the placed order, as published (raw, no envelope)`, `la cola del depósito dio ${JSON.stringify(bodies)}: se esperaba el pedido realizado, tal como se publicó (raw, sin sobre)`)).toEqual([placed]);
  expect(received[0].MessageAttributes?.eventType?.StringValue, say(`its message attributes are ${JSON.stringify(received[0].MessageAttributes)}`, `sus atributos de mensaje son ${JSON.stringify(received[0].MessageAttributes)}`)).toBe("order_placed");

  // The cancelled order never comes: the filter policy kept it out. Asking again waits (long polling) and gives up.
  const rec = recordCalls();
  const more = await within(
    say("receiveMessages (expected 1, maxAttempts 1) on a queue where nothing more comes", "receiveMessages (expected 1, maxAttempts 1) en una cola a la que no llega nada más"),
    lesson.receiveMessages(sqs, warehouse.url, { expected: 1, maxAttempts: 1 }),
  );
  rec.stop();
  expect(more.map((m) => m.Body), say("the filter policy should keep the cancelled order out of the warehouse queue", "la política de filtro debería dejar el pedido cancelado afuera de la cola del depósito")).toEqual([]);
  // Long polling: a wait on each receive, or (just as valid) a wait set on the queue itself.
  const receives = rec.filter("SQS", "ReceiveMessage");
  const { Attributes: queueWait = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: warehouse.url, AttributeNames: ["ReceiveMessageWaitTimeSeconds"] }));
  const queueWaits = Number(queueWait.ReceiveMessageWaitTimeSeconds ?? 0) > 0;
  expect(receives.length, say("receiveMessages with maxAttempts 1 receives once", "receiveMessages con maxAttempts 1 recibe una sola vez")).toBe(1);
  expect(
    receives.filter((c) => !(Number(c.input.WaitTimeSeconds ?? (queueWaits ? 1 : 0)) > 0)).map((c) => c.input),
    say("a receive without WaitTimeSeconds is a short poll: it answers at once, from a sample of servers, and can say empty while messages wait", "una recepción sin WaitTimeSeconds es un sondeo corto: responde al instante, desde una muestra de servidores, y puede decir que está vacía mientras hay mensajes esperando"),
  ).toEqual([]);

  // The counts are approximate (exact only on an emulator): poll a while until they say nothing is left.
  let counts: Record<string, string> = {};
  await waitFor(
    say("the warehouse queue to hold no message (read ones deleted)", "la cola del depósito vacía (con los mensajes leídos ya borrados)"),
    async () => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: warehouse.url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
      );
      counts = Attributes;
      return (Attributes.ApproximateNumberOfMessages === "0" && Attributes.ApproximateNumberOfMessagesNotVisible === "0") || undefined;
    },
    { timeoutMs: 5000, intervalMs: 250 },
  ).catch(() => {
    throw new Error(say(`A message that was read must be deleted, or it comes back after its visibility timeout; the warehouse queue still counts ${JSON.stringify(counts)}`, `Un mensaje leído tiene que borrarse, o vuelve cuando termina su tiempo de espera de visibilidad; la cola del depósito todavía cuenta ${JSON.stringify(counts)}`));
  });
});

test(say("step 6: subscribeHttpEndpoint subscribes the local HTTP endpoint and returns its ARN", "step 6: subscribeHttpEndpoint suscribe el endpoint HTTP local y devuelve su ARN"), async () => {
  const { topicArn, subscriber, subscriptionArn } = await httpSubscription();
  expect(subscriptionArn, say(`subscribeHttpEndpoint returned "${subscriptionArn}": ask for ReturnSubscriptionArn`, `subscribeHttpEndpoint devolvió "${subscriptionArn}": pedí ReturnSubscriptionArn`)).toMatch(/^arn:/);
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  expect(Attributes, say(`the subscription holds ${JSON.stringify(Attributes)}`, `la suscripción tiene ${JSON.stringify(Attributes)}`)).toMatchObject({ TopicArn: topicArn, Protocol: "http", Endpoint: subscriber.url });
});

test(say("step 7: the endpoint confirms its subscription with the token SNS sent (moto confirms at once)", "step 7: el endpoint confirma su suscripción con el token que mandó SNS (moto confirma de inmediato)"), async () => {
  const { topicArn, subscriber } = await httpConfirmed();
  const confirmation = subscriber.received.find((m) => m.Type === "SubscriptionConfirmation");
  if (confirmation) {
    // LocalStack and AWS post a SubscriptionConfirmation; httpConfirmed() saw it go from pending to confirmed.
    expect(confirmation, say("the SubscriptionConfirmation SNS posted", "la SubscriptionConfirmation que SNS mandó por POST")).toMatchObject({ TopicArn: topicArn, Token: expect.any(String) });
  } else {
    // moto confirms HTTP subscriptions at once and posts no confirmation. Confirm by hand, with a
    // token as SNS would send it: moto accepts any token for a topic that exists.
    const message = { Type: "SubscriptionConfirmation" as const, MessageId: "1", Message: "", Timestamp: new Date().toISOString(), TopicArn: topicArn, Token: "a-token" };
    const arn = await lesson.confirmSubscription(sns, message);
    expect(arn.slice(0, topicArn.length + 1), say(`confirmSubscription returned "${arn}": it should return the SubscriptionArn ConfirmSubscription answers`, `confirmSubscription devolvió "${arn}": debería devolver el SubscriptionArn con el que responde ConfirmSubscription`)).toBe(`${topicArn}:`);
  }
  // On every emulator: confirming for a topic that does not exist is refused, so the call really reaches SNS.
  const missing = { Type: "SubscriptionConfirmation" as const, MessageId: "2", Message: "", Timestamp: new Date().toISOString(), TopicArn: `${topicArn}-missing`, Token: "a-token" };
  await expect(lesson.confirmSubscription(sns, missing), say("confirming a subscription to a topic that does not exist should fail", "confirmar una suscripción a un tópico que no existe debería fallar")).rejects.toThrow();
});

test(say("step 7: a published message reaches the confirmed HTTP endpoint", "step 7: un mensaje publicado llega al endpoint HTTP confirmado"), async () => {
  const { topicArn, subscriber } = await httpConfirmed();
  const message = `hello ${uniqueName("http")}`;
  const messageId = await lesson.publishMessage(sns, topicArn, message, { eventType: "greeting" });
  const notification = await lesson.waitForHttpNotification(subscriber, message);
  expect(notification, say(`the endpoint ${subscriber.url} received: ${receivedAt(subscriber)}`, `el endpoint ${subscriber.url} recibió: ${receivedAt(subscriber)}`)).toBeDefined();
  expect(notification).toMatchObject({ Type: "Notification", TopicArn: topicArn, MessageId: messageId, Message: message });
});

test(say("lesson: waitUntilTopicDelivers gives up within its bound, naming the queue, when nothing can arrive", "lesson: waitUntilTopicDelivers se rinde dentro de su límite, nombrando la cola, cuando no puede llegar nada"), async () => {
  const topicArn = await sns.send(new CreateTopicCommand({ Name: uniqueName("lonely") })).then((r) => r.TopicArn!);
  created.topics.push(topicArn);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("unsubscribed") }));
  created.queueUrls.push(QueueUrl!);
  // The queue is not subscribed: no probe can ever arrive.
  await expect(lesson.waitUntilTopicDelivers(sns, sqs, topicArn, QueueUrl!, { maxWaitSeconds: 3 })).rejects.toThrow(QueueUrl!);
});

// ── When it fails: scripted faults ───────────────────────────────────────────────────────────────

test(say("step 4: publishMessage survives throttling (the SDK retries it)", "step 4: publishMessage sobrevive a la limitación (throttling) (el SDK reintenta)"), async () => {
  const topicArn = await topic();
  await subscriptions();
  const faults = injectFaults([{ service: "SNS", operation: "Publish", fault: "throttle", times: 1 }]);
  const id = await within("publishMessage", lesson.publishMessage(sns, topicArn, JSON.stringify({ slow: true }), { eventType: "throttled" }));
  faults.clear();
  expect(id, say("publishMessage returns the MessageId once the retry got through", "publishMessage devuelve el MessageId una vez que el reintento pasó")).toBeTruthy();
  expect(faults.injected.length, say("the throttle was injected", "se inyectó la limitación (throttling)")).toBe(1);
});

test(say("step 5: receiveMessages gets the message although a receive timed out and one answered a false empty", "step 5: receiveMessages recibe el mensaje aunque una recepción se pasó de tiempo y otra respondió vacía sin estarlo"), async () => {
  const { warehouse } = await queues();
  const topicArn = await topic();
  await subscriptions();
  const order = JSON.stringify({ orderId: uniqueName("late"), event: "placed" });
  await lesson.publishMessage(sns, topicArn, order, { eventType: "order_placed" });
  // A timeout the SDK retries, and (for a short poll only) an answer with no messages although one waits.
  const faults = injectFaults([
    { service: "SQS", operation: "ReceiveMessage", fault: "timeout", times: 1 },
    { service: "SQS", operation: "ReceiveMessage", fault: "stale-read", times: 1 },
  ]);
  const received = await within("receiveMessages", lesson.receiveMessages(sqs, warehouse.url, { expected: 1, maxAttempts: 5 }));
  faults.clear();
  expect(received.map((m) => m.Body), say("the placed order, received despite the faults", "el pedido realizado, recibido a pesar de las fallas")).toEqual([order]);
});
