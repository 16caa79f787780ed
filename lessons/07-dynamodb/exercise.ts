// Lesson 07: DynamoDB, a non-relational database. A tiny shop in one table: customers,
// products and orders, read by key, by index and by scan; written with conditions,
// transactions and batches. Run the demo: npx tsx lessons/07-dynamodb/exercise.ts
// Check your work: npm run check -- 07. The steps and hints are in lessons/07-dynamodb/README.md
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
import { createClient, runMain, todo, uniqueName, workshopTags } from "../../workshop/lesson";

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
  // TODO 1: create the table with CreateTableCommand: keys pk (HASH) and sk (RANGE), the global
  // secondary index BY_PRODUCT_INDEX (product HASH, createdAt RANGE, ProjectionType ALL),
  // BillingMode "PAY_PER_REQUEST" and Tags: workshopTags(). Then waitUntilTableExists.
  todo(1, "create the table (keys, index, pay per request, tags) with CreateTableCommand and wait with waitUntilTableExists");
}

/** Deletes the table and waits until it is gone. */
export async function deleteTable(ddb: DynamoDBClient, table: string): Promise<void> {
  await ddb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: ddb, maxWaitTime: 120 }, { TableName: table });
}

// Step 2 ─────────────────────────────────────────────────────────────────────────────
export interface TimeToLive {
  status: string;
  attribute: string | undefined;
}

export async function enableTimeToLive(ddb: DynamoDBClient, table: string, attribute: string): Promise<TimeToLive> {
  // TODO 2: turn on Time to Live with UpdateTimeToLiveCommand, then read it back with
  // DescribeTimeToLiveCommand and return its TimeToLiveStatus and AttributeName.
  todo(2, "enable Time to Live with UpdateTimeToLiveCommand and read it back with DescribeTimeToLiveCommand");
}

// Step 3 ─────────────────────────────────────────────────────────────────────────────
export async function putItem(doc: DynamoDBDocumentClient, table: string, item: Item): Promise<void> {
  // TODO 3: write the item with PutCommand (from @aws-sdk/lib-dynamodb).
  todo(3, "write the item with PutCommand");
}

// Step 4 ─────────────────────────────────────────────────────────────────────────────
export async function getItem<T extends Item>(
  doc: DynamoDBDocumentClient,
  table: string,
  key: Key,
  options: { consistentRead?: boolean } = {},
): Promise<T | undefined> {
  // TODO 4: read the item with GetCommand; pass ConsistentRead: options.consistentRead ?? false.
  // Return the Item (undefined when there is none). Eventual or strong consistency: README step 4.
  todo(4, "read the item with GetCommand, with ConsistentRead when options.consistentRead is true");
}

// Step 5 ─────────────────────────────────────────────────────────────────────────────
export async function updateStock(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  delta: number,
): Promise<Product> {
  // TODO 5: add delta to the product's stock with UpdateCommand: UpdateExpression
  // "SET #stock = #stock + :delta", ExpressionAttributeNames, ExpressionAttributeValues and
  // ReturnValues "ALL_NEW". Return the Attributes (the whole product after the update).
  todo(5, "add delta to the stock with UpdateCommand (UpdateExpression, ReturnValues ALL_NEW)");
}

// Step 6 ─────────────────────────────────────────────────────────────────────────────
/** Deletes an item and returns what it held, or undefined when there was nothing to delete. */
export async function deleteItem(doc: DynamoDBDocumentClient, table: string, key: Key): Promise<Item | undefined> {
  // TODO 6: delete the item with DeleteCommand and ReturnValues "ALL_OLD"; return the Attributes.
  todo(6, "delete the item with DeleteCommand (ReturnValues ALL_OLD) and return what it held");
}

// Step 7 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrders(doc: DynamoDBDocumentClient, table: string, customerId: string): Promise<Order[]> {
  // TODO 7: query the customer's partition with QueryCommand: KeyConditionExpression
  // "#pk = :pk AND begins_with(#sk, :prefix)", with :pk = customerKey(customerId).pk and :prefix "ORDER#".
  todo(7, "query the customer's orders with QueryCommand and begins_with on the sort key");
}

// Step 8 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrdersByProduct(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  limit: number,
): Promise<Order[]> {
  // TODO 8: query the index with QueryCommand: IndexName BY_PRODUCT_INDEX,
  // KeyConditionExpression "#product = :product", ScanIndexForward false (newest first), Limit.
  todo(8, "query the byProduct index with QueryCommand (IndexName, ScanIndexForward false, Limit)");
}

// Step 9 ─────────────────────────────────────────────────────────────────────────────
export interface ScanResult {
  items: Item[];
  pages: number;
}

export async function scanTable(doc: DynamoDBDocumentClient, table: string, pageSize: number): Promise<ScanResult> {
  // TODO 9: read the whole table with paginateScan({ client: doc, pageSize }, { TableName: table }):
  // a `for await` loop over the pages; count them and collect every page's Items.
  todo(9, "scan every page with paginateScan and a small pageSize; count the pages");
}

// Step 10 ────────────────────────────────────────────────────────────────────────────
export type PriceUpdate =
  | { ok: true; version: number }
  | { ok: false; reason: "stale"; currentVersion: number }
  | { ok: false; reason: "missing" };

export async function updatePriceWithVersion(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  price: number,
  expectedVersion: number,
): Promise<PriceUpdate> {
  // TODO 10: optimistic locking. UpdateCommand with UpdateExpression "SET #price = :price, #v = #v + :one",
  // ConditionExpression "#v = :expected" and ReturnValues "UPDATED_NEW": return { ok: true, version }.
  // Catch ConditionalCheckFailedException: read the product again with ConsistentRead and return
  // { ok: false, reason: "stale", currentVersion } — or { ok: false, reason: "missing" } if it is gone.
  todo(10, "update the price only if the version is the expected one (ConditionExpression), and turn ConditionalCheckFailedException into { ok: false, reason: \"stale\" }");
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

export async function placeOrder(doc: DynamoDBDocumentClient, table: string, order: NewOrder): Promise<OrderResult> {
  // TODO 11: one TransactWriteCommand with three TransactItems:
  //   ConditionCheck: the customer (customerKey) has active = true,
  //   Update: the product's stock goes down by quantity, on condition stock >= quantity,
  //   Put: the order (orderKey, product, quantity, createdAt, status "PLACED") if attribute_not_exists(pk).
  // Return { ok: true }. Catch TransactionCanceledException and return
  // { ok: false, reasons } with the Code of each of its CancellationReasons.
  todo(11, "place the order with TransactWriteCommand (ConditionCheck, Update, Put) and turn TransactionCanceledException into { ok: false, reasons }");
}

// Step 12 ────────────────────────────────────────────────────────────────────────────
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

export async function batchWriteItems(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Item[],
  { maxAttempts = 5, baseDelayMs = 50 }: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  // TODO 12: write the items in chunks of BATCH_SIZE with BatchWriteCommand
  // (RequestItems: { [table]: [{ PutRequest: { Item } }, …] }). While the answer has UnprocessedItems
  // for the table, wait (baseDelayMs, then twice as long each time) and send those again; after
  // maxAttempts calls for a chunk, throw an Error saying how many items are still unprocessed.
  // Return { written: items.length, retries }, retries counting the calls made again.
  todo(12, "write in chunks of 25 with BatchWriteCommand and retry UnprocessedItems with exponential backoff");
}

// The demo ───────────────────────────────────────────────────────────────────────────
export async function main(): Promise<void> {
  const ddb = createClient(DynamoDBClient);
  const doc = createDocumentClient(ddb);
  const table = uniqueName("shop");

  await createTable(ddb, table);
  console.log(`Created table ${table} (pk + sk, index ${BY_PRODUCT_INDEX}, pay per request)`);
  try {
    const ttl = await enableTimeToLive(ddb, table, TTL_ATTRIBUTE);
    console.log(`Time to Live on "${ttl.attribute}": ${ttl.status}`);

    await putItem(doc, table, { ...customerKey("ana"), name: "Ana", active: true });
    await putItem(doc, table, { ...customerKey("beto"), name: "Beto", active: false });
    await putItem(doc, table, { ...productKey("mate"), name: "Mate", price: 1500, stock: 10, version: 1 });
    console.log("Put 2 customers (ana active, beto not) and 1 product (mate: stock 10, version 1)");

    const eventual = await getItem<Product>(doc, table, productKey("mate"));
    const consistent = await getItem<Product>(doc, table, productKey("mate"), { consistentRead: true });
    console.log(`Get mate: eventually consistent read says stock ${eventual?.stock}, consistent read says ${consistent?.stock}`);

    const restocked = await updateStock(doc, table, "mate", 5);
    console.log(`Update: stock + 5 → ${restocked.stock}`);

    const placed = await placeOrder(doc, table, { customerId: "ana", orderId: "0001", productId: "mate", quantity: 2, createdAt: new Date().toISOString() });
    console.log(`Transaction: ana orders 2 mates → ${placed.ok ? "placed" : `cancelled (${placed.reasons.join(", ")})`}`);
    const refused = await placeOrder(doc, table, { customerId: "beto", orderId: "0002", productId: "mate", quantity: 1, createdAt: new Date().toISOString() });
    console.log(`Transaction: beto (inactive) orders 1 mate → ${refused.ok ? "placed" : `cancelled (${refused.reasons.join(", ")})`}`);
    const tooMany = await placeOrder(doc, table, { customerId: "ana", orderId: "0003", productId: "mate", quantity: 99, createdAt: new Date().toISOString() });
    console.log(`Transaction: ana orders 99 mates → ${tooMany.ok ? "placed" : `cancelled (${tooMany.reasons.join(", ")})`}`);
    console.log(`  stock is still ${(await getItem<Product>(doc, table, productKey("mate"), { consistentRead: true }))?.stock}: nothing was half written`);

    const history: Order[] = Array.from({ length: 30 }, (_, i) => ({
      ...orderKey(`customer${i % 4}`, `h${String(i).padStart(3, "0")}`),
      product: i % 3 === 0 ? "yerba" : "mate",
      quantity: 1 + (i % 3),
      createdAt: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
      status: "DELIVERED",
    }));
    const batch = await batchWriteItems(doc, table, history);
    console.log(`Batch write: ${batch.written} old orders in chunks of ${BATCH_SIZE} (${batch.retries} retries for unprocessed items)`);

    const anaOrders = await queryOrders(doc, table, "ana");
    console.log(`Query CUSTOMER#ana, sk begins_with "ORDER#": ${anaOrders.map((o) => o.sk).join(", ")}`);

    const latest = await queryOrdersByProduct(doc, table, "mate", 3);
    console.log(`Query index ${BY_PRODUCT_INDEX}, 3 latest mate orders: ${latest.map((o) => `${o.pk}/${o.sk}`).join(", ")}`);

    // "In-memory processing": DynamoDB has no SUM or GROUP BY. Read what you need, add it up here.
    const scan = await scanTable(doc, table, 10);
    const units = new Map<string, number>();
    for (const item of scan.items) {
      if (typeof item.product === "string") units.set(item.product, (units.get(item.product) ?? 0) + Number(item.quantity));
    }
    console.log(`Scan: ${scan.items.length} items in ${scan.pages} pages of up to 10; units ordered: ${[...units].map(([p, n]) => `${p} ${n}`).join(", ")}`);

    // Two people edit the price from the same read (version 1). The second one must not win blindly.
    const first = await updatePriceWithVersion(doc, table, "mate", 1700, 1);
    const second = await updatePriceWithVersion(doc, table, "mate", 1600, 1);
    console.log(`Optimistic locking: first edit → ${JSON.stringify(first)}, second edit → ${JSON.stringify(second)}`);

    const yesterday = Math.floor(Date.now() / 1000) - 24 * 60 * 60;
    await putItem(doc, table, { pk: customerKey("ana").pk, sk: "CART", items: ["mate"], [TTL_ATTRIBUTE]: yesterday });
    const cart = await getItem(doc, table, { pk: customerKey("ana").pk, sk: "CART" });
    console.log(`TTL: a cart that expired yesterday is ${cart ? "still there: AWS deletes expired items within days, an emulator maybe never" : "gone"}`);
    const removed = await deleteItem(doc, table, { pk: customerKey("ana").pk, sk: "CART" });
    console.log(`Delete: removed the cart (${removed ? "it held " + JSON.stringify(removed.items) : "it was not there"})`);
  } finally {
    await deleteTable(ddb, table);
    console.log(`Deleted table ${table}`);
  }
}

runMain(import.meta.url, main);
