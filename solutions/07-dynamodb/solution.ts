// Lesson 07: DynamoDB, a non-relational database. A tiny shop in one table: customers,
// products and orders, read by key, by index and by scan; written with conditions,
// transactions and batches. Run the demo: npx tsx solutions/07-dynamodb/solution.ts
import { setTimeout as sleep } from "node:timers/promises";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  paginateScan,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { createClient, runMain, say, uniqueName, workshopTags } from "../../workshop/lesson";

/** The global secondary index that finds the orders of a product, newest first. */
export const BY_PRODUCT_INDEX = "byProduct";
/** The attribute DynamoDB's Time to Live looks at: a date in epoch seconds. */
export const TTL_ATTRIBUTE = "expiresAt";
/** BatchWriteItem takes at most 25 requests per call. */
export const BATCH_SIZE = 25;

/** Every item has a partition key (pk) and a sort key (sk): together they identify it. */
export type Key = { pk: string; sk: string };
export type Item = Key & Record<string, unknown>;
export type Customer = Key & { name: string; active: boolean };
export type Product = Key & { name: string; price: number; stock: number; version: number };
export type Order = Key & { product: string; quantity: number; createdAt: string; status: string };

// One table holds every kind of item; the keys say what an item is.
export const customerKey = (customerId: string): Key => ({ pk: `CUSTOMER#${customerId}`, sk: "PROFILE" });
export const productKey = (productId: string): Key => ({ pk: `PRODUCT#${productId}`, sk: "PRODUCT" });
export const orderKey = (customerId: string, orderId: string): Key => ({ pk: `CUSTOMER#${customerId}`, sk: `ORDER#${orderId}` });

/** The DocumentClient speaks plain JavaScript values instead of DynamoDB's { S: "…" } JSON. */
export function createDocumentClient(ddb: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(ddb);
}

// Step 1 ─────────────────────────────────────────────────────────────────────────────
export async function createTable(ddb: DynamoDBClient, table: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      // Declare only the attributes used as keys: the rest of an item has no schema.
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
          IndexName: BY_PRODUCT_INDEX,
          KeySchema: [
            { AttributeName: "product", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      // "Pay as you go": no capacity to plan, each read and write is billed.
      BillingMode: "PAY_PER_REQUEST",
      Tags: workshopTags(),
    }),
  );
  // CreateTable returns while the table is still CREATING: wait until it is ACTIVE.
  await waitUntilTableExists({ client: ddb, maxWaitTime: 120 }, { TableName: table });
}

/** Deletes the table and waits until it is gone. */
export async function deleteTable(ddb: DynamoDBClient, table: string): Promise<void> {
  await ddb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: ddb, maxWaitTime: 120 }, { TableName: table });
}

// Step 2 ─────────────────────────────────────────────────────────────────────────────
export async function putItem(doc: DynamoDBDocumentClient, table: string, item: Item): Promise<void> {
  await doc.send(new PutCommand({ TableName: table, Item: item }));
}

// Step 3 ─────────────────────────────────────────────────────────────────────────────
// #region slide:consistent-read
export async function getItem<T extends Item>(
  doc: DynamoDBDocumentClient,
  table: string,
  key: Key,
  options: { consistentRead?: boolean } = {},
): Promise<T | undefined> {
  // "Consistencia eventual": by default a read may be answered by a copy that has not seen
  // the latest write yet (and costs half). ConsistentRead: true asks for the latest value.
  // Emulators answer both the same way; on AWS the default read can return stale data.
  const { Item } = await doc.send(
    new GetCommand({ TableName: table, Key: key, ConsistentRead: options.consistentRead ?? false }),
  );
  return Item as T | undefined;
}
// #endregion

// Step 4 ─────────────────────────────────────────────────────────────────────────────
export async function updateStock(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  delta: number,
): Promise<Product> {
  // The server adds to the current value: no read first, so two writers never lose each other's
  // update. But an atomic counter is not idempotent: a retry after a timeout can add twice. Fine for
  // a count that may be off by one (page views); stock wants a condition or a version (step 6).
  const { Attributes } = await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: productKey(productId),
      UpdateExpression: "SET #stock = #stock + :delta",
      ExpressionAttributeNames: { "#stock": "stock" },
      ExpressionAttributeValues: { ":delta": delta },
      ReturnValues: "ALL_NEW",
    }),
  );
  return Attributes as Product;
}

// Step 5 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrders(doc: DynamoDBDocumentClient, table: string, customerId: string): Promise<Order[]> {
  // One partition holds the customer's profile and orders; the sort key prefix picks the orders.
  // A query returns up to 1 MB per call: step 10 shows how to follow the pages.
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
      ExpressionAttributeValues: { ":pk": customerKey(customerId).pk, ":prefix": "ORDER#" },
    }),
  );
  return Items as Order[];
}

// Step 6 ─────────────────────────────────────────────────────────────────────────────
export type PriceUpdate =
  | { ok: true; version: number }
  | { ok: false; reason: "stale"; currentVersion: number }
  | { ok: false; reason: "missing" };

// #region slide:optimistic-locking
export async function updatePriceWithVersion(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  price: number,
  expectedVersion: number,
): Promise<PriceUpdate> {
  try {
    const { Attributes } = await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: productKey(productId),
        UpdateExpression: "SET #price = :price, #v = #v + :one",
        // Write only if nobody else wrote since we read: otherwise the write is refused.
        ConditionExpression: "#v = :expected",
        ExpressionAttributeNames: { "#price": "price", "#v": "version" },
        ExpressionAttributeValues: { ":price": price, ":one": 1, ":expected": expectedVersion },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return { ok: true, version: Attributes?.version as number };
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    // Someone else won. Read the latest version (consistently) so the caller can retry from it.
    const { Item } = await doc.send(new GetCommand({ TableName: table, Key: productKey(productId), ConsistentRead: true }));
    return Item ? { ok: false, reason: "stale", currentVersion: Item.version as number } : { ok: false, reason: "missing" };
  }
}
// #endregion

// Step 7 ─────────────────────────────────────────────────────────────────────────────
export interface BatchWriteOptions {
  /** Calls per chunk of 25, the first included, before giving up. */
  maxAttempts?: number;
  /** The wait before the first retry; each later retry waits twice as long as the one before. */
  baseDelayMs?: number;
}

export interface BatchWriteResult {
  written: number;
  /** BatchWriteItem calls made again for UnprocessedItems. */
  retries: number;
}

type WriteRequests = NonNullable<BatchWriteCommandInput["RequestItems"]>[string];

// #region slide:batch-retry
export async function batchWriteItems(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Item[],
  { maxAttempts = 8, baseDelayMs = 25 }: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  let retries = 0;
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    let pending: WriteRequests = items.slice(start, start + BATCH_SIZE).map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > maxAttempts) {
        throw new Error(`BatchWriteItem gave up: ${pending.length} items still unprocessed after ${maxAttempts} attempts`);
      }
      if (attempt > 1) {
        // "Todo puede fallar": a throttled batch succeeds in part, without an error, and the SDK does
        // not retry it. Back off, then send the rest. (Only when nothing at all can be written does
        // BatchWriteItem throw, and the SDK retries that itself.)
        retries += 1;
        await sleep(baseDelayMs * 2 ** (attempt - 2));
      }
      const { UnprocessedItems } = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = UnprocessedItems?.[table] ?? [];
    }
  }
  return { written: items.length, retries };
}
// #endregion

// Step 8 ─────────────────────────────────────────────────────────────────────────────
/** Deletes an item and returns what it held, or undefined when there was nothing to delete. */
export async function deleteItem(doc: DynamoDBDocumentClient, table: string, key: Key): Promise<Item | undefined> {
  const { Attributes } = await doc.send(new DeleteCommand({ TableName: table, Key: key, ReturnValues: "ALL_OLD" }));
  return Attributes as Item | undefined;
}

// Step 9 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrdersByProduct(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  limit: number,
): Promise<Order[]> {
  // An index is another way in. A global secondary index is eventually consistent only: asking it
  // for ConsistentRead is a ValidationException on AWS (tables and local secondary indexes can read
  // strongly). An item appears in the index only when it has both of the index's keys.
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName: table,
      IndexName: BY_PRODUCT_INDEX,
      KeyConditionExpression: "#product = :product",
      ExpressionAttributeNames: { "#product": "product" },
      ExpressionAttributeValues: { ":product": productId },
      ScanIndexForward: false, // newest createdAt first
      Limit: limit,
    }),
  );
  return Items as Order[];
}

// Step 10 ────────────────────────────────────────────────────────────────────────────
export interface ScanResult {
  items: Item[];
  pages: number;
}

export async function scanTable(doc: DynamoDBDocumentClient, table: string, pageSize: number): Promise<ScanResult> {
  // A scan reads (and bills) every item in the table. The paginator follows LastEvaluatedKey.
  const items: Item[] = [];
  let pages = 0;
  for await (const page of paginateScan({ client: doc, pageSize }, { TableName: table })) {
    pages += 1;
    items.push(...((page.Items ?? []) as Item[]));
  }
  return { items, pages };
}

// Step 11 ────────────────────────────────────────────────────────────────────────────
export interface NewOrder {
  customerId: string;
  orderId: string;
  productId: string;
  quantity: number;
  createdAt: string;
}

export type OrderResult = { ok: true } | { ok: false; reasons: string[] };

// #region slide:transaction
export async function placeOrder(doc: DynamoDBDocumentClient, table: string, order: NewOrder): Promise<OrderResult> {
  try {
    // All or nothing: if any condition fails, none of the writes happens.
    // The SDK gives the call a ClientRequestToken, and its own retries reuse it: they cannot apply it
    // twice. A token of your own matters when *your* code sends it again (after a caught timeout or a
    // restart). A transaction costs twice the capacity of the same writes made one by one.
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: table,
              Key: customerKey(order.customerId),
              ConditionExpression: "#active = :true",
              ExpressionAttributeNames: { "#active": "active" },
              ExpressionAttributeValues: { ":true": true },
            },
          },
          {
            Update: {
              TableName: table,
              Key: productKey(order.productId),
              UpdateExpression: "SET #stock = #stock - :quantity",
              ConditionExpression: "#stock >= :quantity",
              ExpressionAttributeNames: { "#stock": "stock" },
              ExpressionAttributeValues: { ":quantity": order.quantity },
            },
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...orderKey(order.customerId, order.orderId),
                product: order.productId,
                quantity: order.quantity,
                createdAt: order.createdAt,
                status: "PLACED",
              },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    );
    return { ok: true };
  } catch (err) {
    if (!(err instanceof TransactionCanceledException)) throw err;
    // One reason per item, in order: "ConditionalCheckFailed" where a condition failed, "None" elsewhere.
    return { ok: false, reasons: (err.CancellationReasons ?? []).map((reason) => reason.Code ?? "None") };
  }
}
// #endregion

// Step 12 ────────────────────────────────────────────────────────────────────────────
export interface TimeToLive {
  status: string;
  attribute: string | undefined;
}

export async function enableTimeToLive(ddb: DynamoDBClient, table: string, attribute: string): Promise<TimeToLive> {
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }),
  );
  const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: table }));
  return {
    status: TimeToLiveDescription?.TimeToLiveStatus ?? "UNKNOWN",
    attribute: TimeToLiveDescription?.AttributeName,
  };
}

// The demo ───────────────────────────────────────────────────────────────────────────
export async function main(): Promise<void> {
  const ddb = createClient(DynamoDBClient);
  const doc = createDocumentClient(ddb);
  const table = uniqueName("shop");

  await createTable(ddb, table);
  console.log(
    say(
      `Created table ${table} (pk + sk, index ${BY_PRODUCT_INDEX}, pay per request)`,
      `Creé la tabla ${table} (pk + sk, índice ${BY_PRODUCT_INDEX}, pago por solicitud)`,
    ),
  );
  try {
    const ttl = await enableTimeToLive(ddb, table, TTL_ATTRIBUTE);
    console.log(say(`Time to Live on "${ttl.attribute}": ${ttl.status}`, `Time to Live en "${ttl.attribute}": ${ttl.status}`));

    await putItem(doc, table, { ...customerKey("ana"), name: "Ana", active: true });
    await putItem(doc, table, { ...customerKey("beto"), name: "Beto", active: false });
    await putItem(doc, table, { ...productKey("mate"), name: "Mate", price: 1500, stock: 10, version: 1 });
    console.log(
      say(
        "Put 2 customers (ana active, beto not) and 1 product (mate: stock 10, version 1)",
        "Put de 2 clientes (ana activa, beto no) y 1 producto (mate: stock 10, versión 1)",
      ),
    );

    const eventual = await getItem<Product>(doc, table, productKey("mate"));
    const consistent = await getItem<Product>(doc, table, productKey("mate"), { consistentRead: true });
    console.log(
      say(
        `Get mate: eventually consistent read says stock ${eventual?.stock}, consistent read says ${consistent?.stock}`,
        `Get mate: la lectura eventual dice stock ${eventual?.stock}, la lectura consistente dice ${consistent?.stock}`,
      ),
    );

    const restocked = await updateStock(doc, table, "mate", 5);
    console.log(`Update: stock + 5 → ${restocked.stock}`);

    const outcome = (result: OrderResult): string =>
      result.ok ? say("placed", "aceptado") : say(`cancelled (${result.reasons.join(", ")})`, `cancelado (${result.reasons.join(", ")})`);
    const placed = await placeOrder(doc, table, { customerId: "ana", orderId: "0001", productId: "mate", quantity: 2, createdAt: new Date().toISOString() });
    console.log(say(`Transaction: ana orders 2 mates → ${outcome(placed)}`, `Transacción: ana pide 2 mates → ${outcome(placed)}`));
    const refused = await placeOrder(doc, table, { customerId: "beto", orderId: "0002", productId: "mate", quantity: 1, createdAt: new Date().toISOString() });
    console.log(say(`Transaction: beto (inactive) orders 1 mate → ${outcome(refused)}`, `Transacción: beto (inactivo) pide 1 mate → ${outcome(refused)}`));
    const tooMany = await placeOrder(doc, table, { customerId: "ana", orderId: "0003", productId: "mate", quantity: 99, createdAt: new Date().toISOString() });
    console.log(say(`Transaction: ana orders 99 mates → ${outcome(tooMany)}`, `Transacción: ana pide 99 mates → ${outcome(tooMany)}`));
    const stock = (await getItem<Product>(doc, table, productKey("mate"), { consistentRead: true }))?.stock;
    console.log(say(`  stock is still ${stock}: nothing was half written`, `  el stock sigue en ${stock}: nada quedó escrito a medias`));

    const history: Order[] = Array.from({ length: 30 }, (_, i) => ({
      ...orderKey(`customer${i % 4}`, `h${String(i).padStart(3, "0")}`),
      product: i % 3 === 0 ? "yerba" : "mate",
      quantity: 1 + (i % 3),
      createdAt: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
      status: "DELIVERED",
    }));
    const batch = await batchWriteItems(doc, table, history);
    console.log(
      say(
        `Batch write: ${batch.written} old orders in chunks of ${BATCH_SIZE} (${batch.retries} retries for unprocessed items)`,
        `Escritura por lotes: ${batch.written} pedidos viejos en tramos de ${BATCH_SIZE} (${batch.retries} reintentos por ítems sin procesar)`,
      ),
    );

    const anaOrders = (await queryOrders(doc, table, "ana")).map((o) => o.sk).join(", ");
    console.log(say(`Query CUSTOMER#ana, sk begins_with "ORDER#": ${anaOrders}`, `Query de CUSTOMER#ana, sk begins_with "ORDER#": ${anaOrders}`));

    const latest = (await queryOrdersByProduct(doc, table, "mate", 3)).map((o) => `${o.pk}/${o.sk}`).join(", ");
    console.log(
      say(
        `Query index ${BY_PRODUCT_INDEX}, 3 latest mate orders: ${latest}`,
        `Query del índice ${BY_PRODUCT_INDEX}, los 3 últimos pedidos de mate: ${latest}`,
      ),
    );

    // "In-memory processing": DynamoDB has no SUM or GROUP BY. Read what you need, add it up here.
    const scan = await scanTable(doc, table, 10);
    const units = new Map<string, number>();
    for (const item of scan.items) {
      if (typeof item.product === "string") units.set(item.product, (units.get(item.product) ?? 0) + Number(item.quantity));
    }
    const totals = [...units].map(([p, n]) => `${p} ${n}`).join(", ");
    console.log(
      say(
        `Scan: ${scan.items.length} items in ${scan.pages} pages of up to 10; units ordered: ${totals}`,
        `Scan: ${scan.items.length} ítems en ${scan.pages} páginas de hasta 10; unidades pedidas: ${totals}`,
      ),
    );

    // Two people edit the price from the same read (version 1). The second one must not win blindly.
    const first = JSON.stringify(await updatePriceWithVersion(doc, table, "mate", 1700, 1));
    const second = JSON.stringify(await updatePriceWithVersion(doc, table, "mate", 1600, 1));
    console.log(
      say(
        `Optimistic locking: first edit → ${first}, second edit → ${second}`,
        `Bloqueo optimista: primera edición → ${first}, segunda edición → ${second}`,
      ),
    );

    const yesterday = Math.floor(Date.now() / 1000) - 24 * 60 * 60;
    await putItem(doc, table, { pk: customerKey("ana").pk, sk: "CART", items: ["mate"], [TTL_ATTRIBUTE]: yesterday });
    const cart = await getItem(doc, table, { pk: customerKey("ana").pk, sk: "CART" }, { consistentRead: true });
    console.log(
      cart
        ? say(
            "TTL: a cart that expired yesterday is still there: AWS deletes expired items within days, an emulator maybe never",
            "TTL: un carrito que venció ayer sigue ahí: AWS borra los ítems vencidos en unos días, un emulador quizás nunca",
          )
        : say("TTL: a cart that expired yesterday is gone", "TTL: un carrito que venció ayer ya no está"),
    );
    const removed = await deleteItem(doc, table, { pk: customerKey("ana").pk, sk: "CART" });
    const held = JSON.stringify(removed?.items);
    console.log(
      removed
        ? say(`Delete: removed the cart (it held ${held})`, `Delete: borré el carrito (tenía ${held})`)
        : say("Delete: removed the cart (it was not there)", "Delete: borré el carrito (no estaba)"),
    );
  } finally {
    await deleteTable(ddb, table);
    console.log(say(`Deleted table ${table}`, `Borré la tabla ${table}`));
  }
}

runMain(import.meta.url, main);
