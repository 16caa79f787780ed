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
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, RUN_ID, uniqueName, within } from "../../workshop/testing";

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

describe("step 1: createTable", () => {
  test("creates a pay-per-request table with pk/sk, the byProduct index and the workshop tags, and waits for it", async () => {
    const name = uniqueName("ddb-create");
    const recorder = recordingClient();
    try {
      await lesson.createTable(recorder.client, name);
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.TableStatus, "the table should be ACTIVE when createTable returns").toBe("ACTIVE");
      expect(keySchema(Table?.KeySchema), "the table's keys").toEqual(["pk HASH", "sk RANGE"]);
      const indexes = Table?.GlobalSecondaryIndexes ?? [];
      const index = indexes.find((i) => i.IndexName === lesson.BY_PRODUCT_INDEX);
      expect(index, `a global secondary index named "${lesson.BY_PRODUCT_INDEX}"; the table has: ${show(indexes.map((i) => i.IndexName))}`).toBeDefined();
      expect(keySchema(index?.KeySchema), `the keys of ${lesson.BY_PRODUCT_INDEX}`).toEqual(["product HASH", "createdAt RANGE"]);
      expect(index?.Projection?.ProjectionType, `${lesson.BY_PRODUCT_INDEX} should project ALL attributes`).toBe("ALL");
      expect(Table?.BillingModeSummary?.BillingMode, "BillingMode").toBe("PAY_PER_REQUEST");
      const { Tags = [] } = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
      expect(Tags, `the table should carry workshopTags(); it has ${show(Tags)}`).toEqual(
        expect.arrayContaining([{ Key: "workshop", Value: "no-toca-boton" }, { Key: "workshop-run", Value: RUN_ID }]),
      );
      const commands = recorder.sent.map((s) => s.command);
      expect(
        commands.slice(commands.indexOf("CreateTableCommand") + 1),
        `createTable should wait with waitUntilTableExists (it asks DescribeTable until the table is ACTIVE); it sent ${show(commands)}`,
      ).toContain("DescribeTableCommand");
    } finally {
      await dropTable(name);
    }
  });
});

describe("step 12: enableTimeToLive", () => {
  test("turns on Time to Live on the expiresAt attribute and reports it", async () => {
    const ttl = await lesson.enableTimeToLive(ddb, table, lesson.TTL_ATTRIBUTE);
    const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(TimeToLiveDescription?.AttributeName, `DescribeTimeToLive says ${show(TimeToLiveDescription)}`).toBe(lesson.TTL_ATTRIBUTE);
    expect(["ENABLED", "ENABLING"], `DescribeTimeToLive says ${show(TimeToLiveDescription)}`).toContain(TimeToLiveDescription?.TimeToLiveStatus);
    expect(ttl, "enableTimeToLive should return what DescribeTimeToLive says").toEqual({
      status: TimeToLiveDescription?.TimeToLiveStatus,
      attribute: lesson.TTL_ATTRIBUTE,
    });
  });
});

describe("step 2: putItem", () => {
  test("writes the item as given", async () => {
    const item = { ...lesson.productKey(uniqueName("p")), name: "Mate", price: 1500, stock: 10, version: 1, colors: ["green", "brown"] };
    await lesson.putItem(doc, table, item);
    expect(await readItem(item), "the table should hold the item that putItem wrote").toEqual(item);
  });
});

describe("step 3: getItem", () => {
  test("reads an item, eventually consistent by default and strongly consistent when asked", async () => {
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Bombilla", price: 800, stock: 3, version: 1 };
    await seed(item);
    const recorder = recordingClient();
    const eventual = await lesson.getItem(recorder.doc, table, key);
    const consistent = await lesson.getItem(recorder.doc, table, key, { consistentRead: true });
    // Emulators answer both reads the same way; on AWS the eventual one may miss a write that just happened.
    expect(eventual, "getItem(doc, table, key) should return the item").toEqual(item);
    expect(consistent, "getItem(doc, table, key, { consistentRead: true }) should return the item").toEqual(item);
    const reads = recorder.sent.filter((s) => s.command === "GetItemCommand").map((s) => s.input.ConsistentRead);
    expect(reads, `the ConsistentRead of each GetItem sent (default read, then consistent): ${show(reads)}`).toHaveLength(2);
    expect(reads[0], "a default getItem should not ask for ConsistentRead").not.toBe(true);
    expect(reads[1], "getItem with { consistentRead: true } should send ConsistentRead: true").toBe(true);
    expect(await lesson.getItem(doc, table, lesson.productKey(uniqueName("missing"))), "a key that is not there").toBeUndefined();
  });
});

describe("step 4: updateStock", () => {
  test("adds to the stock on the server and returns the whole updated product", async () => {
    const id = uniqueName("p");
    const product = { ...lesson.productKey(id), name: "Yerba", price: 2000, stock: 10, version: 1 };
    await seed(product);
    const up = await lesson.updateStock(doc, table, id, 5);
    expect(up, "updateStock(+5) should return the whole product after the update (ReturnValues ALL_NEW)").toEqual({ ...product, stock: 15 });
    const down = await lesson.updateStock(doc, table, id, -3);
    expect(down?.stock, `updateStock(-3) returned ${show(down)}`).toBe(12);
    expect(await readItem(product), "the table should hold the updated product").toEqual({ ...product, stock: 12 });
  });
});

describe("step 4: updateStock, two writers at once", () => {
  test("lets the server do the addition, so that two writers at once never lose an update", async () => {
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
    expect(
      writes.length > 0 && writes.every(safe),
      `updateStock sent ${show(writes.map((c) => ({ [c.operation]: { UpdateExpression: c.input.UpdateExpression, ConditionExpression: c.input.ConditionExpression } })))}: ` +
        "let the server add (an update expression such as SET #stock = #stock + :delta); a read, then a write of the sum, loses an update when two writers meet",
    ).toBe(true);
    expect((await readItem(product))?.stock, "the stock after +5").toBe(15);
  });
});

describe("step 8: deleteItem", () => {
  test("deletes the item and returns what it held; undefined when nothing is there", async () => {
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Termo", price: 9000, stock: 1, version: 1 };
    await seed(item);
    expect(await lesson.deleteItem(doc, table, key), "deleteItem should return the deleted item (ReturnValues ALL_OLD)").toEqual(item);
    expect(await readItem(key), "the item should be gone").toBeUndefined();
    expect(await lesson.deleteItem(doc, table, key), "deleting it again: nothing was there").toBeUndefined();
  });
});

describe("step 5: queryOrders", () => {
  test("returns the customer's orders (sort key begins with ORDER#) and nothing else", async () => {
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
    expect(found, "the customer's orders only: not the PROFILE, the CART or other customers' orders").toEqual(wanted);
    expect(orders.find((o) => o.sk === "ORDER#2"), "a whole order item").toEqual(order(customer, "2"));
  });
});

describe("step 9: queryOrdersByProduct", () => {
  test("uses the byProduct index to return the latest orders of one product, newest first", async () => {
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
    expect(queries.map((q) => q.input.IndexName), "queryOrdersByProduct should query the byProduct index (IndexName)").toContain(
      lesson.BY_PRODUCT_INDEX,
    );
    for (const query of queries.filter((q) => q.input.IndexName === lesson.BY_PRODUCT_INDEX)) {
      expect(
        query.input.ConsistentRead,
        "a global secondary index is eventually consistent only: on AWS a Query with ConsistentRead: true on it is a ValidationException",
      ).not.toBe(true);
    }
    expect(
      latest.map((o) => `${o.product} ${o.createdAt}`),
      "the 2 newest orders of this product, newest first (ScanIndexForward false, Limit 2)",
    ).toEqual([`${product} 2024-03-03T10:00:00.000Z`, `${product} 2024-03-02T10:00:00.000Z`]);
  });
});

describe("step 10: scanTable", () => {
  test("follows every page of a scan with a small page size", async () => {
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
    expect(found, `the scan should return the 5 items just written; it returned ${result.items.length} items`).toEqual(mine);
    expect(new Set(keys).size, "no item should come twice").toBe(keys.length);
    expect(result.items.length, `the table holds ${Count} items`).toBe(Count);
    expect(
      result.pages,
      `${Count} items in pages of 2 need at least ${Math.ceil(Count / 2)} pages; scanTable reported ${result.pages}`,
    ).toBeGreaterThanOrEqual(Math.max(3, Math.ceil(Count / 2)));
  });
});

describe("step 6: updatePriceWithVersion (optimistic locking)", () => {
  test("updates when the version matches, and answers stale (without writing) when it does not", async () => {
    const id = uniqueName("p");
    const product = { ...lesson.productKey(id), name: "Mate", price: 100, stock: 1, version: 1 };
    await seed(product);
    const first = await lesson.updatePriceWithVersion(doc, table, id, 120, 1);
    expect(first, "the first edit, made from version 1, should win").toEqual({ ok: true, version: 2 });
    const second = await lesson.updatePriceWithVersion(doc, table, id, 130, 1);
    expect(second, "the second edit was made from version 1 too: it should be refused as stale").toEqual({
      ok: false,
      reason: "stale",
      currentVersion: 2,
    });
    expect(await readItem(product), "the table should hold the first edit only").toEqual({ ...product, price: 120, version: 2 });
  });

  test("answers missing when there is no such product (and creates none)", async () => {
    const id = uniqueName("missing");
    expect(await lesson.updatePriceWithVersion(doc, table, id, 1, 1)).toEqual({ ok: false, reason: "missing" });
    expect(await readItem(lesson.productKey(id)), "no product should have been created").toBeUndefined();
  });
});

describe("step 11: placeOrder (a transaction)", () => {
  async function shop(active: boolean, stock: number) {
    const customerId = uniqueName("c");
    const productId = uniqueName("p");
    const customer = { ...lesson.customerKey(customerId), name: "Ana", active };
    const product = { ...lesson.productKey(productId), name: "Mate", price: 1500, stock, version: 1 };
    await seed(customer, product);
    const order = { customerId, orderId: "0001", productId, quantity: 2, createdAt: new Date().toISOString() };
    return { customer, product, order, orderKey: lesson.orderKey(customerId, "0001") };
  }

  test("an active customer with enough stock: the stock goes down and the order is written, together", async () => {
    const { product, order, orderKey } = await shop(true, 5);
    const result = await lesson.placeOrder(doc, table, order);
    expect(result, "the transaction should succeed").toEqual({ ok: true });
    expect(await readItem(product), "the stock should go from 5 to 3").toEqual({ ...product, stock: 3 });
    expect(await readItem(orderKey), "the order should be written").toEqual({
      ...orderKey,
      product: order.productId,
      quantity: 2,
      createdAt: order.createdAt,
      status: "PLACED",
    });
  });

  test("an inactive customer: the ConditionCheck fails, the transaction is cancelled and nothing is written", async () => {
    const { product, order, orderKey } = await shop(false, 5);
    const result = await lesson.placeOrder(doc, table, order);
    expect(result.ok, `placeOrder returned ${show(result)}`).toBe(false);
    const reasons = result.ok ? [] : result.reasons;
    expect(reasons, "one CancellationReason per TransactItem (ConditionCheck, Update, Put)").toHaveLength(3);
    expect(reasons[0], `the ConditionCheck on the customer failed; the reasons are ${show(reasons)}`).toBe("ConditionalCheckFailed");
    expect(await readItem(product), "cancelled: the stock must not change").toEqual(product);
    expect(await readItem(orderKey), "cancelled: no order may be written").toBeUndefined();
  });

  test("not enough stock: the Update's condition fails and nothing is written", async () => {
    const { product, order, orderKey } = await shop(true, 1);
    const result = await lesson.placeOrder(doc, table, order);
    const reasons = result.ok ? [] : result.reasons;
    expect(result.ok, `placeOrder returned ${show(result)}`).toBe(false);
    expect(reasons[1], `the stock condition failed; the reasons are ${show(reasons)}`).toBe("ConditionalCheckFailed");
    expect(await readItem(product), "cancelled: the stock must not change").toEqual(product);
    expect(await readItem(orderKey), "cancelled: no order may be written").toBeUndefined();
  });
});

describe("step 7: batchWriteItems", () => {
  test("writes in chunks of 25 and sends UnprocessedItems again until all are written", async () => {
    const prefix = `BATCH#${uniqueName("b")}`;
    const items = Array.from({ length: 30 }, (_, i) => ({ pk: prefix, sk: `ITEM#${String(i).padStart(2, "0")}`, n: i }));
    const throttled = throttledClient(10); // each call writes 10 requests and returns the rest as unprocessed
    const rec = recordCalls();
    const result = await within(
      "batchWriteItems to write 30 items (does it send the unprocessed ones again, and stop when none is left?)",
      lesson.batchWriteItems(throttled.doc, table, items, { baseDelayMs: 5, maxAttempts: 10 }),
    );
    const sizes = throttled.calls.map((c) => c.requests);
    expect(Math.max(...sizes), `requests per BatchWriteItem call: ${show(sizes)} (at most 25)`).toBeLessThanOrEqual(25);
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    expect(Items.length, `all 30 items should be written; the table holds ${Items.length}. Requests per call: ${show(sizes)}`).toBe(30);
    expect(sizes.length, `a throttled batch needs several calls; batchWriteItems made ${sizes.length}: ${show(sizes)}`).toBeGreaterThanOrEqual(4);
    rec.stop();
    const calls = rec.filter("DynamoDB", "BatchWriteItem").filter((c) => c.fromLesson).length;
    expect(result, `2 chunks (25 + 5) in ${calls} BatchWriteItem calls: every call after a chunk's first is a retry`).toEqual({
      written: 30,
      retries: calls - 2,
    });
  });

  test("backs off exponentially and gives up after maxAttempts with an error", async () => {
    const prefix = `BATCH#${uniqueName("b")}`;
    const items = Array.from({ length: 5 }, (_, i) => ({ pk: prefix, sk: `ITEM#${i}` }));
    const throttled = throttledClient(1); // one item per call: 3 attempts cannot write 5 items
    const error = await within(
      "batchWriteItems to give up after maxAttempts (3) calls",
      lesson.batchWriteItems(throttled.doc, table, items, { maxAttempts: 3, baseDelayMs: 40 }).then(
        (result) => result,
        (err: unknown) => err,
      ),
    );
    if (error instanceof NotImplementedError) throw error;
    expect(error, "after maxAttempts calls with items still unprocessed, batchWriteItems should throw an Error").toBeInstanceOf(Error);
    const { Items: written = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    const left = items.length - written.length;
    const says = new RegExp(`\\b${left}\\b.*unprocessed|unprocessed.*\\b${left}\\b`, "i");
    expect((error as Error).message, `the error should say how many items are still unprocessed (${left} of ${items.length})`).toMatch(says);
    const at = throttled.calls.map((c) => c.at);
    expect(at.length, "exactly maxAttempts (3) calls").toBe(3);
    const gaps = [at[1] - at[0], at[2] - at[1]].map(Math.round);
    expect(gaps[0], `waits between calls (ms): ${show(gaps)}; the first retry waits baseDelayMs (40)`).toBeGreaterThanOrEqual(38);
    expect(gaps[1], `waits between calls (ms): ${show(gaps)}; the second retry waits twice as long (80)`).toBeGreaterThanOrEqual(78);
  });
});

// "Todo puede fallar": what AWS can answer and an emulator never does, scripted in the SDK's
// middleware of the workshop's clients (a fault applies to every client of this process while its test runs).
describe("when it fails", () => {
  async function itemsUnder(prefix: string): Promise<Item[]> {
    const { Items = [] } = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": prefix }, ConsistentRead: true }),
    );
    return Items;
  }

  test("step 7: batchWriteItems sends again the UnprocessedItems a busy table hands back (the SDK does not)", async () => {
    const prefix = `CHAOS#${uniqueName("b")}`;
    const items = Array.from({ length: 12 }, (_, i) => ({ pk: prefix, sk: `ITEM#${String(i).padStart(2, "0")}` }));
    const faults = injectFaults([{ service: "DynamoDB", operation: "BatchWriteItem", fault: "partial-failure", times: 2, from: "lesson" }]);
    const result = await within("batchWriteItems to write 12 items through a busy table", lesson.batchWriteItems(doc, table, items, { baseDelayMs: 5 }));
    expect(faults.injected, "the check meant to hand back part of the first two batches").toHaveLength(2);
    const written = await itemsUnder(prefix);
    expect(written.length, `DynamoDB handed back part of the batch twice as UnprocessedItems; the table holds ${written.length} of 12 items`).toBe(12);
    // Two calls were handed back unprocessed items: at least two retries (more under --chaos).
    expect(result.retries, "two calls were handed back unprocessed items: two retries").toBeGreaterThanOrEqual(2);
  });

  test("step 7: a batch throttled as a whole is retried by the SDK itself", async () => {
    const prefix = `CHAOS#${uniqueName("t")}`;
    const items = Array.from({ length: 3 }, (_, i) => ({ pk: prefix, sk: `ITEM#${i}` }));
    // When nothing at all can be written, BatchWriteItem throws (ProvisionedThroughputExceededException): a retryable error.
    injectFaults([{ service: "DynamoDB", operation: "BatchWriteItem", fault: "throttle", times: 2, from: "lesson" }]);
    await within("batchWriteItems to write through two throttled attempts", lesson.batchWriteItems(doc, table, items, { baseDelayMs: 5 }));
    expect((await itemsUnder(prefix)).length, "the SDK retries a throttled call: all 3 items should be written").toBe(3);
  });

  test("step 3: getItem with consistentRead sees a write made just before; the default read may not", async () => {
    injectFaults([{ service: "DynamoDB", operation: "GetItem", fault: "stale-read" }]);
    const key = lesson.productKey(uniqueName("p"));
    const item = { ...key, name: "Mate", price: 1500, stock: 10, version: 1 };
    await doc.send(new PutCommand({ TableName: table, Item: item }));
    const eventual = await lesson.getItem(doc, table, key);
    expect([undefined, JSON.stringify(item)], "right after a write an eventual read sees the item or, as here, not yet").toContain(
      eventual === undefined ? undefined : JSON.stringify(eventual),
    );
    expect(
      await lesson.getItem(doc, table, key, { consistentRead: true }),
      "a strongly consistent read (ConsistentRead: true) sees the write that just happened",
    ).toEqual(item);
  });

  test("step 6: after a refused write, updatePriceWithVersion reads the current version consistently", async () => {
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
      "the product was written a moment ago: an eventual read can still see version 1. Read the current version with ConsistentRead: true",
    ).toEqual({ ok: false, reason: "stale", currentVersion: 2 });
  });
});
