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
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, say, uniqueName, waitFor, within, WaitedTooLongError } from "../../workshop/testing";

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
      say(
        `the queue to hold ${expected.waiting} waiting and ${expected.inFlight} in flight`,
        `la cola con ${expected.waiting} mensajes esperando y ${expected.inFlight} en vuelo`,
      ),
      async () => {
        last = await counts(queueUrl);
        return last.waiting === expected.waiting && last.inFlight === expected.inFlight ? last : undefined;
      },
      { timeoutMs: 5000 },
    );
  } catch (err) {
    if (!(err instanceof WaitedTooLongError)) throw err;
    throw new Error(
      say(
        `${why}: expected ${expected.waiting} waiting and ${expected.inFlight} in flight; after 5 s the queue still holds ${last?.waiting} waiting and ${last?.inFlight} in flight.`,
        `${why}: se esperaban ${expected.waiting} esperando y ${expected.inFlight} en vuelo; después de 5 s la cola todavía tiene ${last?.waiting} esperando y ${last?.inFlight} en vuelo.`,
      ),
    );
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
describe.concurrent(say("SQS", "SQS"), () => {
  test(say(
    "step 1: createQueue creates the queue, with its attributes and the workshop's tags",
    "step 1: createQueue crea la cola, con sus atributos y las etiquetas del taller",
  ), async ({ expect }) => {
    const name = queueName("create");
    const url = await lesson.createQueue(sqs, name, { VisibilityTimeout: "7" });
    const QueueUrl = await queueUrlOf(name);
    expect(QueueUrl, say(
      `createQueue should create the queue ${name}; SQS has no queue of that name`,
      `createQueue debería crear la cola ${name}; SQS no tiene ninguna cola con ese nombre`,
    )).toBeDefined();
    expect(url, say(
      `createQueue should return the new queue's URL; SQS says the queue ${name} is at ${QueueUrl}`,
      `createQueue debería devolver la URL de la cola nueva; SQS dice que la cola ${name} está en ${QueueUrl}`,
    )).toBe(QueueUrl);
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout"] }));
    expect(Attributes.VisibilityTimeout, say(
      "createQueue should pass the attributes it is given: VisibilityTimeout 7",
      "createQueue debería pasar los atributos que recibe: VisibilityTimeout 7",
    )).toBe("7");
    const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    expect(Tags, say(
      `the queue should carry the workshop's tags (tags: queueTags()); it has ${JSON.stringify(Tags)}`,
      `la cola debería llevar las etiquetas del taller (tags: queueTags()); tiene ${JSON.stringify(Tags)}`,
    )).toMatchObject({
      workshop: "no-toca-boton",
    });
  });

  test(say(
    "step 2: sendMessage puts one job in the queue, as JSON, and returns its message id",
    "step 2: sendMessage pone un trabajo en la cola, como JSON, y devuelve el ID de su mensaje",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("send");
    const job = { id: "invoice-1", task: "email invoice 1" };
    const messageId = await lesson.sendMessage(sqs, queueUrl, job);
    const messages = await receiveAll(queueUrl, 1);
    expect(messages.map((m) => m.Body), say(
      "the queue should hold one message: the job as JSON",
      "la cola debería tener un mensaje: el trabajo como JSON",
    )).toEqual([JSON.stringify(job)]);
    expect(messageId, say(
      "sendMessage should return the MessageId SQS gave the message",
      "sendMessage debería devolver el MessageId que SQS le dio al mensaje",
    )).toBe(messages[0]!.MessageId);
  });

  test(say(
    "step 9: sendMessageBatch sends several jobs in one request and returns their message ids in order",
    "step 9: sendMessageBatch envía varios trabajos en una sola llamada y devuelve los IDs de sus mensajes, en orden",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("batch");
    const jobs = [1, 2, 3].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    const rec = recordCalls();
    const ids = await lesson.sendMessageBatch(sqs, queueUrl, jobs);
    rec.stop();
    // What AWS demands of a batch, which an emulator may not check: at most 10 entries, each Id unique
    // in the request and made of up to 80 letters, digits, hyphens and underscores.
    const batches = rec.filter("SQS", "SendMessageBatch").filter((c) => c.fromLesson && c.input.QueueUrl === queueUrl);
    expect(batches.length, say(
      `sendMessageBatch should send the jobs with SendMessageBatch; it sent ${JSON.stringify(rec.names())}`,
      `sendMessageBatch debería enviar los trabajos con SendMessageBatch; envió ${JSON.stringify(rec.names())}`,
    )).toBeGreaterThan(0);
    for (const call of batches) {
      const entryIds = ((call.input.Entries ?? []) as Array<{ Id?: string }>).map((e) => e.Id);
      expect(entryIds.length, say(
        `a SendMessageBatch takes at most 10 entries; one call sent ${entryIds.length}`,
        `un SendMessageBatch lleva como mucho 10 entradas; una llamada envió ${entryIds.length}`,
      )).toBeLessThanOrEqual(10);
      expect(new Set(entryIds).size, say(
        `entry Ids must be unique within a batch; they were ${JSON.stringify(entryIds)}`,
        `los Id de las entradas tienen que ser únicos dentro de un lote; fueron ${JSON.stringify(entryIds)}`,
      )).toBe(entryIds.length);
      for (const id of entryIds) {
        expect(id ?? "", say(
          `an entry Id is up to 80 letters, digits, hyphens or underscores; "${id}" is not`,
          `el Id de una entrada tiene hasta 80 letras, dígitos, guiones o guiones bajos; "${id}" no cumple`,
        )).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      }
    }
    const messages = await receiveAll(queueUrl, 3);
    expect(messages.map(jobIdOf).sort(), say(
      "the queue should hold the three jobs",
      "la cola debería tener los tres trabajos",
    )).toEqual(jobs.map((j) => j.id));
    const jobByMessageId = new Map(messages.map((m) => [m.MessageId, jobIdOf(m)]));
    expect(
      ids.map((id) => jobByMessageId.get(id)),
      say(
        `sendMessageBatch returned ${JSON.stringify(ids)}: the MessageIds of the jobs, in the order of the jobs`,
        `sendMessageBatch devolvió ${JSON.stringify(ids)}: tienen que ser los MessageId de los trabajos, en el orden de los trabajos`,
      ),
    ).toEqual(jobs.map((j) => j.id));
  });

  test(say(
    "step 3: receiveMessages long-polls: it waits for a message sent after it started",
    "step 3: receiveMessages hace sondeo largo: espera un mensaje enviado después de empezar",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("poll");
    const job = { id: "late-1", task: "arrives while the consumer waits" };
    const sendLater = async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await send(queueUrl, job);
    };
    const [messages] = await Promise.all([lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 3 }), sendLater()]);
    expect(
      messages.map(jobIdOf),
      say(
        "receiveMessages with waitTimeSeconds 3 should wait for the message sent 0.5 s later (set WaitTimeSeconds)",
        "receiveMessages con waitTimeSeconds 3 debería esperar el mensaje enviado 0,5 s después (poné WaitTimeSeconds)",
      ),
    ).toEqual([job.id]);
    expect(
      messages[0]!.Attributes?.ApproximateReceiveCount,
      say(
        "ask for the ApproximateReceiveCount attribute (MessageSystemAttributeNames): this is its first delivery",
        "pedí el atributo ApproximateReceiveCount (MessageSystemAttributeNames): esta es su primera entrega",
      ),
    ).toBe("1");
  });

  test(say(
    "step 3: receiveMessages returns up to maxMessages at once",
    "step 3: receiveMessages devuelve hasta maxMessages de una vez",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("max");
    for (const n of [1, 2, 3]) await send(queueUrl, { id: `job-${n}`, task: "count" });
    const messages = await lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 1, maxMessages: 2 });
    expect(messages.length, say(
      "with maxMessages 2 and 3 messages waiting, expected 2 (set MaxNumberOfMessages; SQS's default is 1)",
      "con maxMessages 2 y 3 mensajes esperando, se esperaban 2 (poné MaxNumberOfMessages; el valor por defecto de SQS es 1)",
    )).toBe(2);
  });

  test(say(
    "step 3: a message that is not deleted comes back after its visibility timeout (receiveMessages' visibilityTimeout)",
    "step 3: un mensaje que no se borra vuelve después de su tiempo de espera de visibilidad (el visibilityTimeout de receiveMessages)",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("comeback");
    await send(queueUrl, { id: "crash-1", task: "the worker dies before deleting" });
    const first = await lesson.receiveMessages(sqs, queueUrl, { waitTimeSeconds: 1, visibilityTimeout: 1 });
    expect(first.map(jobIdOf), say("the first receive should get the message", "la primera recepción debería traer el mensaje")).toEqual(["crash-1"]);
    const again = await receive(queueUrl, 3);
    expect(
      again.map((m) => m.MessageId),
      say(
        "received with visibilityTimeout 1 and not deleted, the message should come back after 1 s (set VisibilityTimeout)",
        "recibido con visibilityTimeout 1 y sin borrar, el mensaje debería volver después de 1 s (poné VisibilityTimeout)",
      ),
    ).toEqual([first[0]!.MessageId]);
    expect(again[0]!.Attributes?.ApproximateReceiveCount, say("its second delivery", "su segunda entrega")).toBe("2");
  });

  test(say(
    "step 4: deleteMessage removes a received message for good",
    "step 4: deleteMessage borra para siempre un mensaje recibido",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("delete");
    await send(queueUrl, { id: "done-1", task: "done" });
    const [message] = await receiveAll(queueUrl, 1);
    await lesson.deleteMessage(sqs, queueUrl, message!.ReceiptHandle!);
    await expectCountsSoon(queueUrl, { waiting: 0, inFlight: 0 }, say(
      "after deleteMessage the queue should be empty",
      "después de deleteMessage la cola debería quedar vacía",
    ));
  });

  test(say(
    "step 10: deleteMessageBatch deletes several messages in one request",
    "step 10: deleteMessageBatch borra varios mensajes en una sola llamada",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("delbatch");
    for (const n of [1, 2, 3]) await send(queueUrl, { id: `done-${n}`, task: "done" });
    const messages = await receiveAll(queueUrl, 3);
    expect(messages.length, say("the test sent 3 messages", "la prueba envió 3 mensajes")).toBe(3);
    await lesson.deleteMessageBatch(sqs, queueUrl, messages);
    await expectCountsSoon(queueUrl, { waiting: 0, inFlight: 0 }, say(
      "after deleteMessageBatch the queue should be empty",
      "después de deleteMessageBatch la cola debería quedar vacía",
    ));
  });

  test(say(
    "step 10: deleteMessageBatch throws when SQS could not delete one of them (look at Failed)",
    "step 10: deleteMessageBatch lanza un error cuando SQS no pudo borrar alguno (mirá Failed)",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("delfail");
    await send(queueUrl, { id: "done-1", task: "done" });
    const [message] = await receiveAll(queueUrl, 1);
    const bogus: Message = { ...message!, MessageId: "bogus", ReceiptHandle: "not-a-receipt-handle" };
    const error = await rejectionOf(lesson.deleteMessageBatch(sqs, queueUrl, [message!, bogus]));
    expect(error, say(
      "a batch answers 200 even when some entries failed: deleteMessageBatch should throw when Failed is not empty",
      "un lote responde 200 aunque fallen algunas entradas: deleteMessageBatch debería lanzar un error cuando Failed no está vacío",
    )).toBeInstanceOf(
      Error,
    );
  });

  test(say(
    "step 11: changeMessageVisibility extends the timeout while a worker is busy; 0 gives the message back",
    "step 11: changeMessageVisibility extiende el tiempo de espera mientras un worker está ocupado; 0 devuelve el mensaje",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("extend", { VisibilityTimeout: "1" });
    await send(queueUrl, { id: "slow-1", task: "a slow job" });
    const [message] = await receive(queueUrl, 1);
    expect(message, say("the test could not receive the message it sent", "la prueba no pudo recibir el mensaje que envió")).toBeDefined();
    await lesson.changeMessageVisibility(sqs, queueUrl, message!.ReceiptHandle!, 10);
    const meanwhile = await receive(queueUrl, 2);
    expect(
      meanwhile.map(jobIdOf),
      say(
        "extended to 10 s, the message should stay hidden past the queue's 1 s visibility timeout; a receive 2 s later got it",
        "extendido a 10 s, el mensaje debería seguir oculto más allá del tiempo de espera de visibilidad de 1 s de la cola; una recepción 2 s después lo trajo",
      ),
    ).toEqual([]);
    await lesson.changeMessageVisibility(sqs, queueUrl, message!.ReceiptHandle!, 0);
    const back = await receive(queueUrl, 1);
    expect(back.map(jobIdOf), say(
      "with its visibility timeout set to 0, the message should be visible again at once",
      "con su tiempo de espera de visibilidad en 0, el mensaje debería volver a estar visible enseguida",
    )).toEqual(["slow-1"]);
  });

  test(say(
    "step 5: processOnce does a job once, however many times SQS delivers it",
    "step 5: processOnce hace un trabajo una sola vez, por más veces que SQS lo entregue",
  ), async ({ expect }) => {
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
    expect(messages.length, say("the test sent 3 messages", "la prueba envió 3 mensajes")).toBe(3);
    const ran: boolean[] = [];
    for (const message of messages) ran.push(await lesson.processOnce(JSON.parse(message.Body!), processed, charge));
    // The worker dies before deleting: after the visibility timeout (here: 0) SQS delivers the messages again.
    for (const message of messages) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    const redelivered = await receiveAll(queueUrl, 3);
    expect(redelivered.length, say("the test made its 3 messages visible again", "la prueba volvió a hacer visibles sus 3 mensajes")).toBe(3);
    for (const message of redelivered) ran.push(await lesson.processOnce(JSON.parse(message.Body!), processed, charge));
    expect(done.sort(), say(
      "each job should be done once, though invoice-7 came three times",
      "cada trabajo debería hacerse una vez, aunque invoice-7 llegó tres veces",
    )).toEqual(["invoice-7", "invoice-8"]);
    expect(
      ran.filter(Boolean).length,
      say(
        `processOnce should return true when it did the job, false when it skipped it; it returned ${JSON.stringify(ran)}`,
        `processOnce debería devolver true cuando hizo el trabajo y false cuando lo salteó; devolvió ${JSON.stringify(ran)}`,
      ),
    ).toBe(2);
    expect([...processed].sort(), say(
      "processed should hold the ids of the jobs done",
      "processed debería tener los IDs de los trabajos hechos",
    )).toEqual(["invoice-7", "invoice-8"]);
  });

  test(say(
    "step 5: processOnce does a job again when it failed the first time",
    "step 5: processOnce vuelve a hacer un trabajo que falló la primera vez",
  ), async ({ expect }) => {
    const processed = new Set<string>();
    const job = { id: "invoice-9", task: "charge 9" };
    const outage = say("the payment service is down", "el servicio de pagos está caído");
    const failing = async (): Promise<void> => {
      throw new Error(outage);
    };
    const error = await rejectionOf(lesson.processOnce(job, processed, failing));
    expect((error as Error | undefined)?.message, say(
      "processOnce should let the job's error through",
      "processOnce debería dejar pasar el error del trabajo",
    )).toBe(outage);
    expect(processed.has(job.id), say(
      "a job that failed is not done: give its claim back when handle() throws, so that it runs again",
      "un trabajo que falló no está hecho: liberá su reserva cuando handle() lanza un error, así corre de nuevo",
    )).toBe(false);
    const done: string[] = [];
    expect(await lesson.processOnce(job, processed, async (j) => void done.push(j.id)), say(
      "the retry should run",
      "el reintento debería correr",
    )).toBe(true);
    expect(done, say("the retry should do the job", "el reintento debería hacer el trabajo")).toEqual(["invoice-9"]);
  });

  test(say(
    "step 5: processOnce claims a job before doing it: two copies at the same time do it once",
    "step 5: processOnce reserva un trabajo antes de hacerlo: dos copias a la vez lo hacen una sola vez",
  ), async ({ expect }) => {
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
      say(
        "two copies of invoice-10 were processed at the same time and the customer was charged twice: claim the id before the work, not after",
        "dos copias de invoice-10 se procesaron a la vez y al cliente se le cobró dos veces: reservá el ID antes del trabajo, no después",
      ),
    ).toBe(1);
    expect(ran.sort(), say(
      `processOnce should return true for the copy it did and false for the one it skipped; it returned ${JSON.stringify(ran)}`,
      `processOnce debería devolver true para la copia que hizo y false para la que salteó; devolvió ${JSON.stringify(ran)}`,
    )).toEqual([
      false,
      true,
    ]);
  });

  test(say(
    "step 6: getQueueArn reads the queue's ARN from its attributes",
    "step 6: getQueueArn lee el ARN de la cola en sus atributos",
  ), async ({ expect }) => {
    const queueUrl = await newQueue("arn");
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    const arn = await lesson.getQueueArn(sqs, queueUrl);
    expect(arn, say(
      "getQueueArn should return the QueueArn attribute (GetQueueAttributes)",
      "getQueueArn debería devolver el atributo QueueArn (GetQueueAttributes)",
    )).toBe(Attributes.QueueArn);
  });

  test(say(
    "step 7: setRedrivePolicy: after maxReceiveCount receives without a delete, the message moves to the dead-letter queue",
    "step 7: setRedrivePolicy: después de maxReceiveCount recepciones sin un delete, el mensaje pasa a la cola de mensajes fallidos",
  ), async ({ expect }) => {
    const deadLetterUrl = await newQueue("dlq");
    const queueUrl = await newQueue("work");
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }));
    const deadLetterArn = Attributes.QueueArn!;
    await lesson.setRedrivePolicy(sqs, queueUrl, deadLetterArn, 2);

    const { Attributes: set = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy"] }));
    expect(set.RedrivePolicy, say(
      "the queue should have a RedrivePolicy attribute (SetQueueAttributes)",
      "la cola debería tener un atributo RedrivePolicy (SetQueueAttributes)",
    )).toBeDefined();
    const policy = JSON.parse(set.RedrivePolicy!) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    expect(policy.deadLetterTargetArn, say(
      "the RedrivePolicy's deadLetterTargetArn",
      "el deadLetterTargetArn de la RedrivePolicy",
    )).toBe(deadLetterArn);
    expect(Number(policy.maxReceiveCount), say("the RedrivePolicy's maxReceiveCount", "el maxReceiveCount de la RedrivePolicy")).toBe(2);

    await send(queueUrl, { id: "poison-1", task: "always fails" });
    for (const n of [1, 2]) {
      // A consumer receives it, fails, and does not delete it; visibility 0 makes it come back at once.
      const messages = await receive(queueUrl, 1, 0);
      expect(messages.map(jobIdOf), say(
        `receive #${n} should still get the poison message`,
        `la recepción #${n} todavía debería traer el mensaje envenenado`,
      )).toEqual(["poison-1"]);
    }
    const third = await receive(queueUrl, 1);
    expect(third.map(jobIdOf), say(
      "after 2 receives the message should have left the queue",
      "después de 2 recepciones el mensaje ya debería haber salido de la cola",
    )).toEqual([]);
    const dead = await receive(deadLetterUrl, 2);
    expect(dead.map(jobIdOf), say(
      "the dead-letter queue should hold the poison message",
      "la cola de mensajes fallidos debería tener el mensaje envenenado",
    )).toEqual(["poison-1"]);
  });

  test(say(
    "step 12: createFifoQueue creates <name>.fifo with FifoQueue on",
    "step 12: createFifoQueue crea <name>.fifo con FifoQueue activado",
  ), async ({ expect }) => {
    const name = queueName("fifo");
    const url = await lesson.createFifoQueue(sqs, name);
    const QueueUrl = await queueUrlOf(`${name}.fifo`);
    expect(QueueUrl, say(
      `createFifoQueue should create the queue ${name}.fifo; SQS has no queue of that name`,
      `createFifoQueue debería crear la cola ${name}.fifo; SQS no tiene ninguna cola con ese nombre`,
    )).toBeDefined();
    expect(url, say(
      `createFifoQueue should return the URL of ${name}.fifo`,
      `createFifoQueue debería devolver la URL de ${name}.fifo`,
    )).toBe(QueueUrl);
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["FifoQueue"] }));
    expect(Attributes.FifoQueue, say("the FifoQueue attribute", "el atributo FifoQueue")).toBe("true");
    const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    expect(Tags, say(
      `the FIFO queue should carry the workshop's tags too (queueTags()); it has ${JSON.stringify(Tags)}`,
      `la cola FIFO también debería llevar las etiquetas del taller (queueTags()); tiene ${JSON.stringify(Tags)}`,
    )).toMatchObject({
      workshop: "no-toca-boton",
    });
  });

  test(say(
    "step 13: sendFifoMessage keeps the order within a group and drops a job sent twice",
    "step 13: sendFifoMessage mantiene el orden dentro de un grupo y descarta un trabajo enviado dos veces",
  ), async ({ expect }) => {
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
    expect(ids.length, say(
      `6 sends with one duplicate (MessageDeduplicationId: the job id) should give 5 messages; got ${ids.join(", ")}`,
      `6 envíos con un duplicado (MessageDeduplicationId: el ID del trabajo) deberían dar 5 mensajes; llegaron ${ids.join(", ")}`,
    )).toBe(5);
    expect(ids.filter((id) => id.startsWith("ana")), say(
      "ana's orders, in the order they were sent",
      "los pedidos de ana, en el orden en que se enviaron",
    )).toEqual(["ana-1", "ana-2", "ana-3"]);
    expect(ids.filter((id) => id.startsWith("bob")), say(
      "bob's orders, in the order they were sent",
      "los pedidos de bob, en el orden en que se enviaron",
    )).toEqual(["bob-1", "bob-2"]);
    for (const { id, group } of received) {
      expect(group, say(
        `${id} should be in the message group ${id.split("-")[0]} (MessageGroupId)`,
        `${id} debería estar en el grupo de mensajes ${id.split("-")[0]} (MessageGroupId)`,
      )).toBe(id.split("-")[0]);
    }
  });

  test(say(
    "step 8: runWorker handles jobs until told to stop, cuts its long poll short, and counts what it handled",
    "step 8: runWorker procesa trabajos hasta que se le pide que pare, corta su sondeo largo y cuenta lo que procesó",
  ), async ({ expect }) => {
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
      if (job.id.startsWith("bad")) throw new Error(say(`${job.id} fails`, `${job.id} falla`));
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
        hung = setTimeout(() => reject(new Error(say(
          "runWorker did not return within 4.5 s of the abort: loop only while the signal is not aborted",
          "runWorker no terminó dentro de los 4,5 s siguientes al aborto: hacé el bucle solo mientras la señal no esté abortada",
        ))), 4500);
      });
    });
    const error = await rejectionOf(Promise.race([worker, tooLate]));
    const tookToStop = Date.now() - abortedAt;
    clearTimeout(giveUp);
    clearTimeout(hung);
    expect(
      error,
      say(
        `runWorker failed with "${error}". An abort in the middle of a long poll makes sqs.send throw: catch it, and stop if signal.aborted`,
        `runWorker falló con "${error}". Un aborto en medio de un sondeo largo hace que sqs.send lance un error: atrapalo, y pará si signal.aborted`,
      ),
    ).toBeUndefined();
    expect(seen.sort(), say(
      "the worker should hand every job to handle()",
      "el worker debería pasarle cada trabajo a handle()",
    )).toEqual(["bad-1", "ok-1", "ok-2"]);
    expect(handled, say(
      "runWorker should return how many messages it handled: 2 (the failing one does not count)",
      "runWorker debería devolver cuántos mensajes procesó: 2 (el que falla no cuenta)",
    )).toBe(2);
    expect(
      tookToStop,
      say(
        `runWorker took ${tookToStop} ms to stop after the abort: pass the signal to sqs.send ({ abortSignal }) so a 3 s long poll is cut short`,
        `runWorker tardó ${tookToStop} ms en parar después del aborto: pasale la señal a sqs.send ({ abortSignal }) para que un sondeo largo de 3 s se corte antes`,
      ),
    ).toBeLessThan(2000);
    await expectCountsSoon(
      queueUrl,
      { waiting: 0, inFlight: 1 },
      say(
        "the worker should delete what it handled and leave the failed job in flight, to come back after its visibility timeout",
        "el worker debería borrar lo que procesó y dejar en vuelo el trabajo que falló, para que vuelva después de su tiempo de espera de visibilidad",
      ),
    );
  });
});

// "Todo puede fallar": the faults an emulator never shows, scripted. These tests run one at a time
// (a scripted fault applies to every client of this process while its test runs).
describe(say("when it fails", "cuando falla"), () => {
  test(say(
    "step 9: sendMessageBatch sends again only the entries SQS failed, and each job arrives once",
    "step 9: sendMessageBatch reenvía solo las entradas en las que falló SQS, y cada trabajo llega una vez",
  ), async () => {
    const queueUrl = await newQueue("partial");
    const jobs = [1, 2, 3, 4].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    const faults = injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", times: 1, from: "lesson" }]);
    const ids = await within(say(
      "sendMessageBatch to send a batch that half failed",
      "sendMessageBatch con un lote que falló a medias",
    ), lesson.sendMessageBatch(sqs, queueUrl, jobs));
    expect(faults.injected.map((f) => f.detail), say(
      "the check meant to fail part of the first batch",
      "la prueba quería hacer fallar parte del primer lote",
    )).toHaveLength(1);
    const messages = await receiveAll(queueUrl, jobs.length + 1);
    const found = messages.map(jobIdOf).sort();
    expect(
      found,
      say(
        `SQS answered the first batch with 2 entries in Failed (SenderFault false: its own fault). Send those again, and only those; the queue holds ${found.join(", ") || "nothing"}`,
        `SQS respondió el primer lote con 2 entradas en Failed (SenderFault false: la culpa es suya). Reenviá esas, y solo esas; la cola tiene ${found.join(", ") || "nada"}`,
      ),
    ).toEqual(jobs.map((j) => j.id).sort());
    const jobByMessageId = new Map(messages.map((m) => [m.MessageId, jobIdOf(m)]));
    expect(ids.map((id) => jobByMessageId.get(id)), say(
      "the MessageIds of every job, sent the first time or again, in the jobs' order",
      "los MessageId de todos los trabajos, enviados la primera vez o de nuevo, en el orden de los trabajos",
    )).toEqual(
      jobs.map((j) => j.id),
    );
  });

  test(say(
    "step 9: sendMessageBatch backs off, then gives up with an error when entries keep failing",
    "step 9: sendMessageBatch espera cada vez más, y al final se rinde con un error cuando las entradas siguen fallando",
  ), async () => {
    const queueUrl = await newQueue("stuck");
    const jobs = [1, 2].map((n) => ({ id: `invoice-${n}`, task: `email invoice ${n}` }));
    injectFaults([{ service: "SQS", operation: "SendMessageBatch", fault: "partial-failure", from: "lesson" }]);
    const rec = recordCalls();
    const error = await within(say(
      "sendMessageBatch to give up on entries that fail every time",
      "sendMessageBatch, que tenía que rendirse ante entradas que fallan siempre",
    ), rejectionOf(lesson.sendMessageBatch(sqs, queueUrl, jobs)));
    rec.stop();
    const calls = rec.filter("SQS", "SendMessageBatch").filter((c) => c.fromLesson);
    expect(error, say(
      "entries that fail on every call: sendMessageBatch should end with an Error, not return as if they were sent",
      "entradas que fallan en cada llamada: sendMessageBatch debería terminar con un Error, no volver como si se hubieran enviado",
    )).toBeInstanceOf(Error);
    expect(calls.length, say(
      `a failure on SQS's side is worth another try: sendMessageBatch made ${calls.length} call(s)`,
      `una falla del lado de SQS merece otro intento: sendMessageBatch hizo ${calls.length} llamada(s)`,
    )).toBeGreaterThanOrEqual(2);
    const gaps = calls.slice(1).map((c, i) => c.startedAt - calls[i]!.endedAt);
    expect(Math.min(...gaps), say(
      `wait before sending again (ms between calls: ${gaps.map(Math.round).join(", ")})`,
      `esperá antes de reenviar (ms entre llamadas: ${gaps.map(Math.round).join(", ")})`,
    )).toBeGreaterThanOrEqual(10);
  });

  test(say(
    "step 10: deleteMessageBatch deletes again only the entries SQS failed, and the queue ends empty",
    "step 10: deleteMessageBatch vuelve a borrar solo las entradas en las que falló SQS, y la cola termina vacía",
  ), async () => {
    const queueUrl = await newQueue("delpartial");
    for (const n of [1, 2, 3, 4]) await send(queueUrl, { id: `done-${n}`, task: "done" });
    const messages = await receiveAll(queueUrl, 4);
    expect(messages.length, say("the test sent 4 messages", "la prueba envió 4 mensajes")).toBe(4);
    injectFaults([{ service: "SQS", operation: "DeleteMessageBatch", fault: "partial-failure", times: 1, from: "lesson" }]);
    await within(say(
      "deleteMessageBatch to delete a batch that half failed",
      "deleteMessageBatch con un lote que falló a medias",
    ), lesson.deleteMessageBatch(sqs, queueUrl, messages));
    await expectCountsSoon(
      queueUrl,
      { waiting: 0, inFlight: 0 },
      say(
        "SQS answered the delete batch with 2 entries in Failed (SenderFault false): delete those again",
        "SQS respondió el lote de borrado con 2 entradas en Failed (SenderFault false): borrá esas de nuevo",
      ),
    );
  });

  test(say(
    "step 3: receiveMessages asks for a long poll, which no false empty answer can fool",
    "step 3: receiveMessages pide un sondeo largo, que ninguna respuesta falsamente vacía puede engañar",
  ), async () => {
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
      say(
        `receiveMessages(…, { waitTimeSeconds: 1 }) should send WaitTimeSeconds: 1 (without it the queue's default, 0, makes a short poll); it sent ${JSON.stringify(sent)}`,
        `receiveMessages(…, { waitTimeSeconds: 1 }) debería enviar WaitTimeSeconds: 1 (sin eso, el valor por defecto de la cola, 0, hace un sondeo corto); envió ${JSON.stringify(sent)}`,
      ),
    ).toBe(true);
    expect(messages.map(jobIdOf), say("a long poll gets the waiting message", "un sondeo largo trae el mensaje que espera")).toEqual(["late-2"]);
  });
});

test(say(
  "lesson: cleanup: deleteQueue removes every queue this lesson created",
  "lesson: cleanup: deleteQueue borra todas las colas que creó esta lección",
), async () => {
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
  await waitFor(say(
    "every queue of this run to be gone from ListQueues",
    "un ListQueues sin ninguna cola de esta corrida",
  ), async () => {
    left = await listLeft();
    return left.length === 0 ? true : undefined;
  }).catch((err: unknown) => {
    if (err instanceof WaitedTooLongError) throw new Error(say(
      `${err.message} Still listed: ${left.join(", ")}`,
      `${err.message} Todavía listadas: ${left.join(", ")}`,
    ));
    throw err;
  });
  expect(left, say("no queue of this run should be left", "no debería quedar ninguna cola de esta corrida")).toEqual([]);
});
