// Lesson 07: DynamoDB, a non-relational database. A tiny shop in one table: customers,
// products and orders, read by key, by index and by scan; written with conditions,
// transactions and batches. Run the demo: npx tsx lessons/07-dynamodb/exercise.ts
// Check your work: npm run check -- 07 (core: TODOs 1–7; stretch: 8–12). Hints: npm start -- hint 07
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
import { createClient, runMain, say, todo, uniqueName, workshopTags } from "../../workshop/lesson";

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
  // TODO 1: create the table (CreateTable): the table's keys pk and sk, the global secondary index
  // BY_PRODUCT_INDEX on product and createdAt that holds whole orders, billing per request, and the
  // workshop's tags. Declare only the attributes that are keys: the rest has no schema. CreateTable
  // returns while the table is still being created: wait until it exists before you return.
  todo(1, "create the table, its keys and the byProduct index with CreateTable, then wait until it exists");
}

/** Deletes the table and waits until it is gone. */
export async function deleteTable(ddb: DynamoDBClient, table: string): Promise<void> {
  await ddb.send(new DeleteTableCommand({ TableName: table }));
  await waitUntilTableNotExists({ client: ddb, maxWaitTime: 120 }, { TableName: table });
}

// Step 2 ─────────────────────────────────────────────────────────────────────────────
export async function putItem(doc: DynamoDBDocumentClient, table: string, item: Item): Promise<void> {
  // TODO 2: write the item (Put, with the DocumentClient). A put replaces any item with the same key.
  todo(2, "write the item with PutCommand");
}

// Step 3 ─────────────────────────────────────────────────────────────────────────────
export async function getItem<T extends Item>(
  doc: DynamoDBDocumentClient,
  table: string,
  key: Key,
  options: { consistentRead?: boolean } = {},
): Promise<T | undefined> {
  // TODO 3: read the item by its full key (Get). The read is eventually consistent unless the caller
  // asks for a strongly consistent one: pass that choice on. No item: undefined.
  todo(3, "read the item with GetCommand, strongly consistent only when asked");
}

// Step 4 ─────────────────────────────────────────────────────────────────────────────
export async function updateStock(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  delta: number,
): Promise<Product> {
  // TODO 4: add delta to the product's stock on the server (Update, an update expression with a
  // #name and a :value) and return the whole product as it is after the update, without a second read.
  todo(4, "add delta to the stock with UpdateCommand and return the product after the update");
}

// Step 5 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrders(doc: DynamoDBDocumentClient, table: string, customerId: string): Promise<Order[]> {
  // TODO 5: query the customer's partition (Query) for the items whose sort key begins with "ORDER#":
  // a query needs the exact partition key and can narrow the sort key.
  todo(5, "query the customer's orders with QueryCommand: the partition key, and the sort key's prefix");
}

// Step 6 ─────────────────────────────────────────────────────────────────────────────
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
  // TODO 6: optimistic locking. Set the new price and add one to the version (Update), on the condition
  // that the version is still the expected one; return the new version. When DynamoDB refuses the
  // condition, read the product again, strongly consistent, and answer "stale" with its current
  // version, or "missing" if there is no such product. Other errors go through.
  todo(6, "update the price only if the version is the expected one, and turn a failed condition into an answer");
}

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

export async function batchWriteItems(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Item[],
  { maxAttempts = 8, baseDelayMs = 25 }: BatchWriteOptions = {},
): Promise<BatchWriteResult> {
  // TODO 7: write the items in chunks of BATCH_SIZE (BatchWrite). A busy table writes part of a chunk
  // and hands back the rest as unprocessed, without an error: send those again, after a wait that
  // starts at baseDelayMs and doubles each time. After maxAttempts calls for one chunk, throw an Error
  // that says how many items are still unprocessed. Return how many you wrote and how many calls were retries.
  todo(7, "write in chunks of 25 with BatchWriteCommand and retry the unprocessed items with exponential backoff");
}

// Step 8 ─────────────────────────────────────────────────────────────────────────────
/** Deletes an item and returns what it held, or undefined when there was nothing to delete. */
export async function deleteItem(doc: DynamoDBDocumentClient, table: string, key: Key): Promise<Item | undefined> {
  // TODO 8: delete the item (Delete) and return what it held, as DynamoDB reports it (nothing there: undefined).
  todo(8, "delete the item with DeleteCommand and return what it held");
}

// Step 9 ─────────────────────────────────────────────────────────────────────────────
export async function queryOrdersByProduct(
  doc: DynamoDBDocumentClient,
  table: string,
  productId: string,
  limit: number,
): Promise<Order[]> {
  // TODO 9: query the index BY_PRODUCT_INDEX (Query) for one product's orders, newest first, at most `limit`.
  todo(9, "query the byProduct index with QueryCommand, newest first, at most limit");
}

// Step 10 ────────────────────────────────────────────────────────────────────────────
export interface ScanResult {
  items: Item[];
  pages: number;
}

export async function scanTable(doc: DynamoDBDocumentClient, table: string, pageSize: number): Promise<ScanResult> {
  // TODO 10: read the whole table, page by page, with the scan paginator and the page size you are
  // given. Collect every page's items and count the pages.
  todo(10, "scan every page with paginateScan and a small page size; count the pages");
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
  // TODO 11: one transaction (TransactWrite), all or nothing: check that the customer is active, take
  // the quantity from the product's stock on the condition that there is enough, and put the order
  // (status "PLACED") only if it is new. When DynamoDB cancels it, answer { ok: false } with the
  // code of each cancellation reason, in order. Other errors go through.
  todo(11, "place the order with TransactWriteCommand (a check, an update, a put) and turn a cancellation into an answer");
}

// Step 12 ────────────────────────────────────────────────────────────────────────────
export interface TimeToLive {
  status: string;
  attribute: string | undefined;
}

export async function enableTimeToLive(ddb: DynamoDBClient, table: string, attribute: string): Promise<TimeToLive> {
  // TODO 12: turn on Time to Live on the given attribute (UpdateTimeToLive), then read it back
  // (DescribeTimeToLive) and return its status and attribute name.
  todo(12, "enable Time to Live with UpdateTimeToLiveCommand and read it back with DescribeTimeToLiveCommand");
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
