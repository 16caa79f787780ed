// The checks for lesson 07. They run against your exercise (npm run check -- 07) or the
// reference solution (npm run check -- 07 --solution), on one table made for this file.
// The table is created here with the SDK, not with your createTable, so that every step is
// checked on its own. Every check reads back what DynamoDB holds with a consistent read.
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  ScanCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, RUN_ID, say, uniqueName, within } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("07-dynamodb");
type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const ddb = createClient(DynamoDBClient);
const doc = DynamoDBDocumentClient.from(ddb);
const table = uniqueName("ddb-test");

const show = (value: unknown): string => JSON.stringify(value) ?? "undefined";
const keySchema = (schema: KeySchemaElement[] = []): string[] => schema.map((k) => `${k.AttributeName} ${k.KeyType}`);

async function dropTable(name: string): Promise<void> {
  try {
    await ddb.send(new DeleteTableCommand({ TableName: name }));
    await waitUntilTableNotExists({ client: ddb, maxWaitTime: 120 }, { TableName: name });
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
}

/** What the table holds for this key, read consistently (never a stale answer). */
async function readItem({ pk, sk }: Key): Promise<Item | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

async function seed(...items: Item[]): Promise<void> {
  await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) } }));
}


/** A DocumentClient on its own DynamoDBClient that records every command it sends. */
function recordingClient() {
  const client = createClient(DynamoDBClient);
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: String(context.commandName), input: { ...(args.input as Record<string, unknown>) } });
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
  return { client, doc: DynamoDBDocumentClient.from(client), sent };
}

/**
 * "Everything can fail at any time": a DocumentClient whose BatchWriteItem calls are throttled.
 * Each call really writes only the first `perCall` requests; the rest come back as UnprocessedItems,
 * as DynamoDB answers when a table is busy.
 */
function throttledClient(perCall: number) {
  const client = createClient(DynamoDBClient);
  const calls: Array<{ requests: number; at: number }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchWriteItemCommand") return next(args);
      const input = args.input as BatchWriteCommandInput;
      const [tableName, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ["", []];
      calls.push({ requests: requests.length, at: performance.now() });
      const result = await next({ ...args, input: { ...input, RequestItems: { [tableName]: requests.slice(0, perCall) } } });
      // What DynamoDB itself left unprocessed (under --chaos, too), then what this "busy table" held back.
      const output = result.output as BatchWriteCommandOutput;
      const left = [...(output.UnprocessedItems?.[tableName] ?? []), ...requests.slice(perCall)];
      output.UnprocessedItems = left.length ? { [tableName]: left } : {};
      return result;
    },
    { step: "initialize", name: "simulateThrottling" },
  );
  return { doc: DynamoDBDocumentClient.from(client), calls };
}

beforeAll(async () => {
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "product", AttributeType: "S" },
        { AttributeName: "createdAt", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: lesson.BY_PRODUCT_INDEX,
          KeySchema: [
            { AttributeName: "product", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
      Tags: [{ Key: "workshop", Value: "no-toca-boton" }, { Key: "workshop-run", Value: RUN_ID }],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 120 }, { TableName: table });
});

afterAll(async () => {
  await dropTable(table);
});

describe(say("step 1: createTable", "step 1: createTable"), () => {
  test(say(
    "creates a pay-per-request table with pk/sk, the byProduct index and the workshop tags, and waits for it",
    "crea una tabla PAY_PER_REQUEST (pago por solicitud) con pk/sk, el índice byProduct y las etiquetas del taller, y espera a que esté lista",
  ), async () => {
    const name = uniqueName("ddb-create");
    const recorder = recordingClient();
    try {
      await lesson.createTable(recorder.client, name);
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.TableStatus, say(
        "the table should be ACTIVE when createTable returns",
        "la tabla debería estar ACTIVE cuando createTable termina",
      )).toBe("ACTIVE");
      expect(keySchema(Table?.KeySchema), say("the table's keys", "las claves de la tabla")).toEqual(["pk HASH", "sk RANGE"]);
      const indexes = Table?.GlobalSecondaryIndexes ?? [];
      const index = indexes.find((i) => i.IndexName === lesson.BY_PRODUCT_INDEX);
      expect(index, say(
        `a global secondary index named "${lesson.BY_PRODUCT_INDEX}"; the table has: ${show(indexes.map((i) => i.IndexName))}`,
        `un índice secundario global llamado "${lesson.BY_PRODUCT_INDEX}"; la tabla tiene: ${show(indexes.map((i) => i.IndexName))}`,
      )).toBeDefined();
      expect(keySchema(index?.KeySchema), say(
        `the keys of ${lesson.BY_PRODUCT_INDEX}`,
        `las claves de ${lesson.BY_PRODUCT_INDEX}`,
      )).toEqual(["product HASH", "createdAt RANGE"]);
      expect(index?.Projection?.ProjectionType, say(
        `${lesson.BY_PRODUCT_INDEX} should project ALL attributes`,
        `${lesson.BY_PRODUCT_INDEX} debería proyectar todos los atributos (ALL)`,
      )).toBe("ALL");
      expect(Table?.BillingModeSummary?.BillingMode, say("BillingMode", "BillingMode")).toBe("PAY_PER_REQUEST");
      const { Tags = [] } = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
      expect(Tags, say(
        `the table should carry workshopTags(); it has ${show(Tags)}`,
        `la tabla debería llevar workshopTags(); tiene ${show(Tags)}`,
      )).toEqual(
        expect.arrayContaining([{ Key: "workshop", Value: "no-toca-boton" }, { Key: "workshop-run", Value: RUN_ID }]),
      );
      const commands = recorder.sent.map((s) => s.command);
      expect(
        commands.slice(commands.indexOf("CreateTableCommand") + 1),
        say(
          `createTable should wait with waitUntilTableExists (it asks DescribeTable until the table is ACTIVE); it sent ${show(commands)}`,
          `createTable debería esperar con waitUntilTableExists (consulta DescribeTable hasta que la tabla esté ACTIVE); mandó ${show(commands)}`,
        ),
      ).toContain("DescribeTableCommand");
    } finally {
      await dropTable(name);
    }
  });
});

describe(say("step 12: enableTimeToLive", "step 12: enableTimeToLive"), () => {
  test(say(
    "turns on Time to Live on the expiresAt attribute and reports it",
    "activa Time to Live en el atributo expiresAt e informa cómo quedó",
  ), async () => {
    const ttl = await lesson.enableTimeToLive(ddb, table, lesson.TTL_ATTRIBUTE);
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(TimeToLiveDescription?.AttributeName, say(
      `DescribeTimeToLive says ${show(TimeToLiveDescription)}`,
      `DescribeTimeToLive dice ${show(TimeToLiveDescription)}`,
    )).toBe(lesson.TTL_ATTRIBUTE);
    expect(["ENABLED", "ENABLING"], say(
      `DescribeTimeToLive says ${show(TimeToLiveDescription)}`,
      `DescribeTimeToLive dice ${show(TimeToLiveDescription)}`,
    )).toContain(TimeToLiveDescription?.TimeToLiveStatus);
    expect(ttl, say(
      "enableTimeToLive should return what DescribeTimeToLive says",
      "enableTimeToLive debería devolver lo que dice DescribeTimeToLive",
    )).toEqual({
      status: TimeToLiveDescription?.TimeToLiveStatus,
      attribute: lesson.TTL_ATTRIBUTE,
    });
  });
});

describe(say("step 2: putItem", "step 2: putItem"), () => {
  test(say("writes the item as given", "escribe el ítem tal como lo recibe"), async () => {
    const item = { ...lesson.productKey(uniqueName("p")), name: "Mate", price: 1500, stock: 10, version: 1, colors: ["green", "brown"] };
    await lesson.putItem(doc, table, item);
    expect(await readItem(item), say(
      "the table should hold the item that putItem wrote",
      "la tabla debería tener el ítem que escribió putItem",
    )).toEqual(item);
  });
});

describe(say("step 3: getItem", "step 3: getItem"), () => {
  test(say(
    "reads an item, eventually consistent by default and strongly consistent when asked",
    "lee un ítem, con consistencia eventual por defecto y con consistencia fuerte cuando se le pide",
  ), async () => {
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Bombilla", price: 800, stock: 3, version: 1 };
    await seed(item);
    const recorder = recordingClient();
    const eventual = await lesson.getItem(recorder.doc, table, key);
    const consistent = await lesson.getItem(recorder.doc, table, key, { consistentRead: true });
    // Emulators answer both reads the same way; on AWS the eventual one may miss a write that just happened.
    expect(eventual, say("getItem(doc, table, key) should return the item", "getItem(doc, table, key) debería devolver el ítem")).toEqual(item);
    expect(consistent, say(
      "getItem(doc, table, key, { consistentRead: true }) should return the item",
      "getItem(doc, table, key, { consistentRead: true }) debería devolver el ítem",
    )).toEqual(item);
    const reads = recorder.sent.filter((s) => s.command === "GetItemCommand").map((s) => s.input.ConsistentRead);
    expect(reads, say(
      `the ConsistentRead of each GetItem sent (default read, then consistent): ${show(reads)}`,
      `el ConsistentRead de cada GetItem enviado (lectura por defecto, después consistente): ${show(reads)}`,
    )).toHaveLength(2);
    expect(reads[0], say(
      "a default getItem should not ask for ConsistentRead",
      "un getItem por defecto no debería pedir ConsistentRead",
    )).not.toBe(true);
    expect(reads[1], say(
      "getItem with { consistentRead: true } should send ConsistentRead: true",
      "getItem con { consistentRead: true } debería mandar ConsistentRead: true",
    )).toBe(true);
    expect(await lesson.getItem(doc, table, lesson.productKey(uniqueName("missing"))), say(
      "a key that is not there",
      "una clave que no está",
    )).toBeUndefined();
  });
});

describe(say("step 4: updateStock", "step 4: updateStock"), () => {
  test(say(
    "adds to the stock on the server and returns the whole updated product",
    "suma al stock en el servidor y devuelve el producto actualizado entero",
  ), async () => {
    const id = uniqueName("p");
    const product = { ...lesson.productKey(id), name: "Yerba", price: 2000, stock: 10, version: 1 };
    await seed(product);
    const up = await lesson.updateStock(doc, table, id, 5);
    expect(up, say(
      "updateStock(+5) should return the whole product after the update (ReturnValues ALL_NEW)",
      "updateStock(+5) debería devolver el producto entero después de la actualización (ReturnValues ALL_NEW)",
    )).toEqual({ ...product, stock: 15 });
    const down = await lesson.updateStock(doc, table, id, -3);
    expect(down?.stock, say(`updateStock(-3) returned ${show(down)}`, `updateStock(-3) devolvió ${show(down)}`)).toBe(12);
    expect(await readItem(product), say(
      "the table should hold the updated product",
      "la tabla debería tener el producto actualizado",
    )).toEqual({ ...product, stock: 12 });
  });
});

describe(say("step 4: updateStock, two writers at once", "step 4: updateStock, dos escritores a la vez"), () => {
  test(say(
    "lets the server do the addition, so that two writers at once never lose an update",
    "deja que el servidor haga la suma, así dos escritores a la vez nunca pierden una actualización",
  ), async () => {
    // One writer at a time, an emulator cannot tell "read, add, write back" from an update expression;
    // two writers at once lose an update with the first. So look at what updateStock sends: an
    // UpdateItem that adds on the server (SET #stock = #stock + :delta, or ADD), or one made
    // conditional on what it read (optimistic locking). Both are safe; a blind overwrite is not.
    const id = uniqueName("p");
    const product = { ...lesson.productKey(id), name: "Yerba", price: 2000, stock: 10, version: 1 };
    await seed(product);
    const rec = recordCalls();
    await lesson.updateStock(doc, table, id, 5);
    rec.stop();
    const writes = rec.calls.filter((c) => c.fromLesson && ["UpdateItem", "PutItem"].includes(c.operation));
    const safe = (c: (typeof writes)[number]) =>
      c.operation === "UpdateItem" && (/[+-]|\bADD\b/i.test(String(c.input.UpdateExpression ?? "")) || c.input.ConditionExpression !== undefined);
    const sent = show(writes.map((c) => ({ [c.operation]: { UpdateExpression: c.input.UpdateExpression, ConditionExpression: c.input.ConditionExpression } })));
    expect(
      writes.length > 0 && writes.every(safe),
      say(
        `updateStock sent ${sent}: let the server add (an update expression such as SET #stock = #stock + :delta); a read, then a write of the sum, loses an update when two writers meet`,
        `updateStock mandó ${sent}: dejá que sume el servidor (una expresión de actualización como SET #stock = #stock + :delta); leer y después escribir la suma pierde una actualización cuando se cruzan dos escritores`,
      ),
    ).toBe(true);
    expect((await readItem(product))?.stock, say("the stock after +5", "el stock después de +5")).toBe(15);
  });
});

describe(say("step 8: deleteItem", "step 8: deleteItem"), () => {
  test(say(
    "deletes the item and returns what it held; undefined when nothing is there",
    "borra el ítem y devuelve lo que tenía; undefined cuando no hay nada",
  ), async () => {
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Termo", price: 9000, stock: 1, version: 1 };
    await seed(item);
    expect(await lesson.deleteItem(doc, table, key), say(
      "deleteItem should return the deleted item (ReturnValues ALL_OLD)",
      "deleteItem debería devolver el ítem borrado (ReturnValues ALL_OLD)",
    )).toEqual(item);
    expect(await readItem(key), say("the item should be gone", "el ítem ya no debería estar")).toBeUndefined();
    expect(await lesson.deleteItem(doc, table, key), say(
      "deleting it again: nothing was there",
      "al borrarlo otra vez: no había nada",
    )).toBeUndefined();
  });
});

describe(say("step 5: queryOrders", "step 5: queryOrders"), () => {
  test(say(
    "returns the customer's orders (sort key begins with ORDER#) and nothing else",
    "devuelve los pedidos del cliente (la clave de ordenación empieza con ORDER#) y nada más",
  ), async () => {
    const customer = uniqueName("c");
    const other = uniqueName("c");
    const order = (customerId: string, orderId: string) => ({
      ...lesson.orderKey(customerId, orderId),
      product: "mate",
      quantity: 1,
      createdAt: "2024-01-01T00:00:00.000Z",
      status: "PLACED",
    });
    await seed(
      { ...lesson.customerKey(customer), name: "Ana", active: true },
      order(customer, "1"),
      order(customer, "2"),
      order(customer, "3"),
      order(other, "9"),
      { pk: lesson.customerKey(customer).pk, sk: "CART", items: [] },
    );
    const orders = await lesson.queryOrders(doc, table, customer);
    const found = orders.map((o) => `${o.pk}/${o.sk}`).sort();
    const wanted = ["1", "2", "3"].map((id) => `${lesson.customerKey(customer).pk}/ORDER#${id}`);
    expect(found, say(
      "the customer's orders only: not the PROFILE, the CART or other customers' orders",
      "solo los pedidos del cliente: ni el PROFILE, ni el CART, ni los pedidos de otros clientes",
    )).toEqual(wanted);
    expect(orders.find((o) => o.sk === "ORDER#2"), say("a whole order item", "un ítem de pedido entero")).toEqual(order(customer, "2"));
  });
});

describe(say("step 9: queryOrdersByProduct", "step 9: queryOrdersByProduct"), () => {
  test(say(
    "uses the byProduct index to return the latest orders of one product, newest first",
    "usa el índice byProduct para devolver los últimos pedidos de un producto, los más nuevos primero",
  ), async () => {
    const product = uniqueName("p");
    const order = (customerId: string, createdAt: string, productId = product) => ({
      ...lesson.orderKey(customerId, uniqueName("o")),
      product: productId,
      quantity: 1,
      createdAt,
      status: "PLACED",
    });
    await seed(
      order(uniqueName("c"), "2024-03-01T10:00:00.000Z"),
      order(uniqueName("c"), "2024-03-03T10:00:00.000Z"),
      order(uniqueName("c"), "2024-03-02T10:00:00.000Z"),
      order(uniqueName("c"), "2024-03-09T10:00:00.000Z", uniqueName("other-product")),
    );
    const recorder = recordingClient();
    const latest = await lesson.queryOrdersByProduct(recorder.doc, table, product, 2);
    // AWS refuses ConsistentRead on a global secondary index (ValidationException); check the call itself,
    // so the rule is named whatever the emulator answers.
    const queries = recorder.sent.filter((c) => c.command === "QueryCommand");
    expect(queries.map((q) => q.input.IndexName), say(
      "queryOrdersByProduct should query the byProduct index (IndexName)",
      "queryOrdersByProduct debería consultar el índice byProduct (IndexName)",
    )).toContain(
      lesson.BY_PRODUCT_INDEX,
    );
    for (const query of queries.filter((q) => q.input.IndexName === lesson.BY_PRODUCT_INDEX)) {
      expect(
        query.input.ConsistentRead,
        say(
          "a global secondary index is eventually consistent only: on AWS a Query with ConsistentRead: true on it is a ValidationException",
          "un índice secundario global solo tiene consistencia eventual: en AWS, un Query con ConsistentRead: true sobre él da un ValidationException",
        ),
      ).not.toBe(true);
    }
    expect(
      latest.map((o) => `${o.product} ${o.createdAt}`),
      say(
        "the 2 newest orders of this product, newest first (ScanIndexForward false, Limit 2)",
        "los 2 pedidos más nuevos de este producto, el más nuevo primero (ScanIndexForward false, Limit 2)",
      ),
    ).toEqual([`${product} 2024-03-03T10:00:00.000Z`, `${product} 2024-03-02T10:00:00.000Z`]);
  });
});

describe(say("step 10: scanTable", "step 10: scanTable"), () => {
  test(say("follows every page of a scan with a small page size", "recorre todas las páginas de un scan con un tamaño de página chico"), async () => {
    const prefix = `SCAN#${uniqueName("s")}`;
    const mine = Array.from({ length: 5 }, (_, i) => ({ pk: prefix, sk: `ITEM#${i}`, n: i }));
    await seed(...mine);
    // A scan is eventually consistent: right after other tests' writes it may still see an older table.
    // Scan again for up to 3 s until it agrees with a consistent count, then judge the last answer.
    let Count = 0;
    let result = { items: [] as Item[], pages: 0 };
    for (const deadline = Date.now() + 3000; ; ) {
      ({ Count = 0 } = await ddb.send(new ScanCommand({ TableName: table, Select: "COUNT", ConsistentRead: true })));
      result = await lesson.scanTable(doc, table, 2);
      if (result.items.length === Count || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const keys = result.items.map((item) => `${item.pk}/${item.sk}`);
    const found = result.items.filter((item) => item.pk === prefix).sort((a, b) => Number(a.n) - Number(b.n));
    expect(found, say(
      `the scan should return the 5 items just written; it returned ${result.items.length} items`,
      `el scan debería devolver los 5 ítems recién escritos; devolvió ${result.items.length} ítems`,
    )).toEqual(mine);
    expect(new Set(keys).size, say("no item should come twice", "ningún ítem debería venir dos veces")).toBe(keys.length);
    expect(result.items.length, say(`the table holds ${Count} items`, `la tabla tiene ${Count} ítems`)).toBe(Count);
    expect(
      result.pages,
      say(
        `${Count} items in pages of 2 need at least ${Math.ceil(Count / 2)} pages; scanTable reported ${result.pages}`,
        `${Count} ítems en páginas de 2 necesitan al menos ${Math.ceil(Count / 2)} páginas; scanTable informó ${result.pages}`,
      ),
    ).toBeGreaterThanOrEqual(Math.max(3, Math.ceil(Count / 2)));
  });
});

describe(say("step 6: updatePriceWithVersion (optimistic locking)", "step 6: updatePriceWithVersion (bloqueo optimista)"), () => {
  test(say(
    "updates when the version matches, and answers stale (without writing) when it does not",
    "actualiza cuando la versión coincide, y responde stale (sin escribir) cuando no",
  ), async () => {
    const id = uniqueName("p");
    const product = { ...lesson.productKey(id), name: "Mate", price: 100, stock: 1, version: 1 };
    await seed(product);
    const first = await lesson.updatePriceWithVersion(doc, table, id, 120, 1);
    expect(first, say(
      "the first edit, made from version 1, should win",
      "la primera edición, hecha desde la versión 1, debería ganar",
    )).toEqual({ ok: true, version: 2 });
    const second = await lesson.updatePriceWithVersion(doc, table, id, 130, 1);
    expect(second, say(
      "the second edit was made from version 1 too: it should be refused as stale",
      "la segunda edición también se hizo desde la versión 1: debería rechazarse como stale",
    )).toEqual({
      ok: false,
      reason: "stale",
      currentVersion: 2,
    });
    expect(await readItem(product), say(
      "the table should hold the first edit only",
      "la tabla debería tener solo la primera edición",
    )).toEqual({ ...product, price: 120, version: 2 });
  });

  test(say(
    "answers missing when there is no such product (and creates none)",
    "responde missing cuando el producto no existe (y no crea ninguno)",
  ), async () => {
    const id = uniqueName("missing");
    expect(
      await lesson.updatePriceWithVersion(doc, table, id, 1, 1),
      say("updatePriceWithVersion on a product that does not exist", "updatePriceWithVersion sobre un producto que no existe"),
    ).toEqual({ ok: false, reason: "missing" });
    expect(await readItem(lesson.productKey(id)), say(
      "no product should have been created",
      "no debería haberse creado ningún producto",
    )).toBeUndefined();
  });
});

describe(say("step 11: placeOrder (a transaction)", "step 11: placeOrder (una transacción)"), () => {
  async function shop(active: boolean, stock: number) {
    const customerId = uniqueName("c");
    const productId = uniqueName("p");
    const customer = { ...lesson.customerKey(customerId), name: "Ana", active };
    const product = { ...lesson.productKey(productId), name: "Mate", price: 1500, stock, version: 1 };
    await seed(customer, product);
    const order = { customerId, orderId: "0001", productId, quantity: 2, createdAt: new Date().toISOString() };
    return { customer, product, order, orderKey: lesson.orderKey(customerId, "0001") };
  }

  test(say(
    "an active customer with enough stock: the stock goes down and the order is written, together",
    "un cliente activo con stock suficiente: el stock baja y el pedido se escribe, las dos cosas juntas",
  ), async () => {
    const { product, order, orderKey } = await shop(true, 5);
    const result = await lesson.placeOrder(doc, table, order);
    expect(result, say("the transaction should succeed", "la transacción debería salir bien")).toEqual({ ok: true });
    expect(await readItem(product), say("the stock should go from 5 to 3", "el stock debería pasar de 5 a 3")).toEqual({ ...product, stock: 3 });
    expect(await readItem(orderKey), say("the order should be written", "el pedido debería quedar escrito")).toEqual({
      ...orderKey,
      product: order.productId,
      quantity: 2,
      createdAt: order.createdAt,
      status: "PLACED",
    });
  });

  test(say(
    "an inactive customer: the ConditionCheck fails, the transaction is cancelled and nothing is written",
    "un cliente inactivo: el ConditionCheck falla, la transacción se cancela y no se escribe nada",
  ), async () => {
    const { product, order, orderKey } = await shop(false, 5);
    const result = await lesson.placeOrder(doc, table, order);
    expect(result.ok, say(`placeOrder returned ${show(result)}`, `placeOrder devolvió ${show(result)}`)).toBe(false);
    const reasons = result.ok ? [] : result.reasons;
    expect(reasons, say(
      "one CancellationReason per TransactItem (ConditionCheck, Update, Put)",
      "un CancellationReason por cada TransactItem (ConditionCheck, Update, Put)",
    )).toHaveLength(3);
    expect(reasons[0], say(
      `the ConditionCheck on the customer failed; the reasons are ${show(reasons)}`,
      `falló el ConditionCheck sobre el cliente; los motivos son ${show(reasons)}`,
    )).toBe("ConditionalCheckFailed");
    expect(await readItem(product), say("cancelled: the stock must not change", "cancelada: el stock no tiene que cambiar")).toEqual(product);
    expect(await readItem(orderKey), say("cancelled: no order may be written", "cancelada: no se tiene que escribir ningún pedido")).toBeUndefined();
  });

  test(say(
    "not enough stock: the Update's condition fails and nothing is written",
    "no alcanza el stock: la condición del Update falla y no se escribe nada",
  ), async () => {
    const { product, order, orderKey } = await shop(true, 1);
    const result = await lesson.placeOrder(doc, table, order);
    const reasons = result.ok ? [] : result.reasons;
    expect(result.ok, say(`placeOrder returned ${show(result)}`, `placeOrder devolvió ${show(result)}`)).toBe(false);
    expect(reasons[1], say(
      `the stock condition failed; the reasons are ${show(reasons)}`,
      `falló la condición del stock; los motivos son ${show(reasons)}`,
    )).toBe("ConditionalCheckFailed");
    expect(await readItem(product), say("cancelled: the stock must not change", "cancelada: el stock no tiene que cambiar")).toEqual(product);
    expect(await readItem(orderKey), say("cancelled: no order may be written", "cancelada: no se tiene que escribir ningún pedido")).toBeUndefined();
  });
});

describe(say("step 7: batchWriteItems", "step 7: batchWriteItems"), () => {
  test(say(
    "writes in chunks of 25 and sends UnprocessedItems again until all are written",
    "escribe en tramos de 25 y reenvía los UnprocessedItems hasta escribirlos todos",
  ), async () => {
    const prefix = `BATCH#${uniqueName("b")}`;
    const items = Array.from({ length: 30 }, (_, i) => ({ pk: prefix, sk: `ITEM#${String(i).padStart(2, "0")}`, n: i }));
    const throttled = throttledClient(10); // each call writes 10 requests and returns the rest as unprocessed
    const rec = recordCalls();
    const result = await within(
      say(
        "batchWriteItems to write 30 items (does it send the unprocessed ones again, and stop when none is left?)",
        "batchWriteItems con 30 ítems (¿reenvía los no procesados, y para cuando no queda ninguno?)",
      ),
      lesson.batchWriteItems(throttled.doc, table, items, { baseDelayMs: 5, maxAttempts: 10 }),
    );
    const sizes = throttled.calls.map((c) => c.requests);
    expect(Math.max(...sizes), say(
      `requests per BatchWriteItem call: ${show(sizes)} (at most 25)`,
      `solicitudes por llamada a BatchWriteItem: ${show(sizes)} (25 como mucho)`,
    )).toBeLessThanOrEqual(25);
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    expect(Items.length, say(
      `all 30 items should be written; the table holds ${Items.length}. Requests per call: ${show(sizes)}`,
      `los 30 ítems deberían quedar escritos; la tabla tiene ${Items.length}. Solicitudes por llamada: ${show(sizes)}`,
    )).toBe(30);
    expect(sizes.length, say(
      `a throttled batch needs several calls; batchWriteItems made ${sizes.length}: ${show(sizes)}`,
      `un lote con limitación (throttling) necesita varias llamadas; batchWriteItems hizo ${sizes.length}: ${show(sizes)}`,
    )).toBeGreaterThanOrEqual(4);
    rec.stop();
    const calls = rec.filter("DynamoDB", "BatchWriteItem").filter((c) => c.fromLesson).length;
    expect(result, say(
      `2 chunks (25 + 5) in ${calls} BatchWriteItem calls: every call after a chunk's first is a retry`,
      `2 tramos (25 + 5) en ${calls} llamadas a BatchWriteItem: cada llamada después de la primera de un tramo es un reintento`,
    )).toEqual({
      written: 30,
      retries: calls - 2,
    });
  });

  test(say(
    "backs off exponentially and gives up after maxAttempts with an error",
    "espera cada vez más (backoff exponencial) y se rinde con un error después de maxAttempts",
  ), async () => {
    const prefix = `BATCH#${uniqueName("b")}`;
    const items = Array.from({ length: 5 }, (_, i) => ({ pk: prefix, sk: `ITEM#${i}` }));
    const throttled = throttledClient(1); // one item per call: 3 attempts cannot write 5 items
    const error = await within(
      say("batchWriteItems to give up after maxAttempts (3) calls", "batchWriteItems, que tenía que rendirse después de maxAttempts (3) llamadas"),
      lesson.batchWriteItems(throttled.doc, table, items, { maxAttempts: 3, baseDelayMs: 40 }).then(
        (result) => result,
        (err: unknown) => err,
      ),
    );
    if (error instanceof NotImplementedError) throw error;
    expect(error, say(
      "after maxAttempts calls with items still unprocessed, batchWriteItems should throw an Error",
      "después de maxAttempts llamadas con ítems todavía sin procesar, batchWriteItems debería lanzar un Error",
    )).toBeInstanceOf(Error);
    const { Items: written = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    const left = items.length - written.length;
    // "unprocessed", or in Spanish "sin procesar": the learner may word the error in either language.
    const says = new RegExp(`\\b${left}\\b.*(unprocessed|sin procesar)|(unprocessed|sin procesar).*\\b${left}\\b`, "i");
    expect((error as Error).message, say(
      `the error should say how many items are still unprocessed (${left} of ${items.length})`,
      `el error debería decir cuántos ítems siguen sin procesar (${left} de ${items.length})`,
    )).toMatch(says);
    const at = throttled.calls.map((c) => c.at);
    expect(at.length, say("exactly maxAttempts (3) calls", "exactamente maxAttempts (3) llamadas")).toBe(3);
    const gaps = [at[1] - at[0], at[2] - at[1]].map(Math.round);
    expect(gaps[0], say(
      `waits between calls (ms): ${show(gaps)}; the first retry waits baseDelayMs (40)`,
      `esperas entre llamadas (ms): ${show(gaps)}; el primer reintento espera baseDelayMs (40)`,
    )).toBeGreaterThanOrEqual(38);
    expect(gaps[1], say(
      `waits between calls (ms): ${show(gaps)}; the second retry waits twice as long (80)`,
      `esperas entre llamadas (ms): ${show(gaps)}; el segundo reintento espera el doble (80)`,
    )).toBeGreaterThanOrEqual(78);
  });
});

// "Todo puede fallar": what AWS can answer and an emulator never does, scripted in the SDK's
// middleware of the workshop's clients (a fault applies to every client of this process while its test runs).
describe(say("when it fails", "cuando falla"), () => {
  async function itemsUnder(prefix: string): Promise<Item[]> {
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    return Items;
  }

  test(say(
    "step 7: batchWriteItems sends again the UnprocessedItems a busy table hands back (the SDK does not)",
    "step 7: batchWriteItems reenvía los UnprocessedItems que devuelve una tabla ocupada (el SDK no lo hace)",
  ), async () => {
    const prefix = `CHAOS#${uniqueName("b")}`;
    const items = Array.from({ length: 12 }, (_, i) => ({ pk: prefix, sk: `ITEM#${String(i).padStart(2, "0")}` }));
    const faults = injectFaults([{ service: "DynamoDB", operation: "BatchWriteItem", fault: "partial-failure", times: 2, from: "lesson" }]);
    const result = await within(say(
      "batchWriteItems to write 12 items through a busy table",
      "batchWriteItems con 12 ítems en una tabla ocupada",
    ), lesson.batchWriteItems(doc, table, items, { baseDelayMs: 5 }));
    expect(faults.injected, say(
      "the check meant to hand back part of the first two batches",
      "la prueba quería devolver parte de los dos primeros lotes",
    )).toHaveLength(2);
    const written = await itemsUnder(prefix);
    expect(written.length, say(
      `DynamoDB handed back part of the batch twice as UnprocessedItems; the table holds ${written.length} of 12 items`,
      `DynamoDB devolvió dos veces parte del lote como UnprocessedItems; la tabla tiene ${written.length} de 12 ítems`,
    )).toBe(12);
    // Two calls were handed back unprocessed items: at least two retries (more under --chaos).
    expect(result.retries, say(
      "two calls were handed back unprocessed items: two retries",
      "a dos llamadas les devolvieron ítems sin procesar: dos reintentos",
    )).toBeGreaterThanOrEqual(2);
  });

  test(say(
    "step 7: a batch throttled as a whole is retried by the SDK itself",
    "step 7: un lote con limitación (throttling) entero lo reintenta el propio SDK",
  ), async () => {
    const prefix = `CHAOS#${uniqueName("t")}`;
    const items = Array.from({ length: 3 }, (_, i) => ({ pk: prefix, sk: `ITEM#${i}` }));
    // When nothing at all can be written, BatchWriteItem throws (ProvisionedThroughputExceededException): a retryable error.
    injectFaults([{ service: "DynamoDB", operation: "BatchWriteItem", fault: "throttle", times: 2, from: "lesson" }]);
    await within(say(
      "batchWriteItems to write through two throttled attempts",
      "batchWriteItems con dos intentos limitados (throttling)",
    ), lesson.batchWriteItems(doc, table, items, { baseDelayMs: 5 }));
    expect((await itemsUnder(prefix)).length, say(
      "the SDK retries a throttled call: all 3 items should be written",
      "el SDK reintenta una llamada con limitación (throttling): los 3 ítems deberían quedar escritos",
    )).toBe(3);
  });

  test(say(
    "step 3: getItem with consistentRead sees a write made just before; the default read may not",
    "step 3: getItem con consistentRead ve una escritura recién hecha; la lectura por defecto puede no verla",
  ), async () => {
    injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "stale-read" }]);
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Mate", price: 1500, stock: 10, version: 1 };
    await doc.send(new PutCommand({ TableName: table, Item: item }));
    const eventual = await lesson.getItem(doc, table, key);
    expect([undefined, JSON.stringify(item)], say(
      "right after a write an eventual read sees the item or, as here, not yet",
      "justo después de una escritura, una lectura eventual ve el ítem o, como acá, todavía no",
    )).toContain(
      eventual === undefined ? undefined : JSON.stringify(eventual),
    );
    expect(
      await lesson.getItem(doc, table, key, { consistentRead: true }),
      say(
        "a strongly consistent read (ConsistentRead: true) sees the write that just happened",
        "una lectura de consistencia fuerte (ConsistentRead: true) ve la escritura que acaba de pasar",
      ),
    ).toEqual(item);
  });

  test(say(
    "step 6: after a refused write, updatePriceWithVersion reads the current version consistently",
    "step 6: después de una escritura rechazada, updatePriceWithVersion lee la versión actual con consistencia fuerte",
  ), async () => {
    // Armed before the writes it makes stale: an eventual read within a second of a write sees the item as it was.
    injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "stale-read" }]);
    const id = uniqueName("p");
    const key = lesson.productKey(id);
    await doc.send(new PutCommand({ TableName: table, Item: { ...key, name: "Mate", price: 100, stock: 1, version: 1 } }));
    // Someone else edits the price a moment before us: the version becomes 2.
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET #price = :price, #v = :two",
        ExpressionAttributeNames: { "#price": "price", "#v": "version" },
        ExpressionAttributeValues: { ":price": 120, ":two": 2 },
      }),
    );
    const ours = await lesson.updatePriceWithVersion(doc, table, id, 130, 1);
    expect(
      ours,
      say(
        "the product was written a moment ago: an eventual read can still see version 1. Read the current version with ConsistentRead: true",
        "el producto se escribió hace un momento: una lectura eventual todavía puede ver la versión 1. Leé la versión actual con ConsistentRead: true",
      ),
    ).toEqual({ ok: false, reason: "stale", currentVersion: 2 });
  });
});
