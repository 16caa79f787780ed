// Lesson 04 · S3, the Simple Storage Service: buckets that hold objects, and an object is a key,
// its bytes and a little metadata. The talk's numbers: 99.999999999 % durability (what you put in
// stays there), 99.99 % availability (reading it can still fail, now and then).
import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  waitUntilBucketExists,
  waitUntilBucketNotExists,
  type BucketLocationConstraint,
  type CreateBucketConfiguration,
} from "@aws-sdk/client-s3";
import { Upload, type Progress } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createClient, runMain, uniqueName, workshopTags } from "../../workshop/lesson";

export const MiB = 1024 * 1024;

/** A bucket lives in one region. Outside us-east-1, CreateBucket must say which one. */
async function locationOf(s3: S3Client): Promise<CreateBucketConfiguration | undefined> {
  const region = await s3.config.region();
  return region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint };
}

// ── Step 1 ─────────────────────────────────────────────────────────────────────────────────────
// #region slide:create-bucket
/** Creates a bucket, waits until it answers, and tags it as the workshop's. */
export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: await locationOf(s3) }));
  // "Consistencia eventual": a new bucket may not answer everywhere at once. The waiter polls HeadBucket.
  await waitUntilBucketExists({ client: s3, maxWaitTime: 30 }, { Bucket: bucket });
  // "Todo es tarifado": tag what you create, so that you can find it (and its bill) later.
  await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: workshopTags() } }));
}
// #endregion

// ── Step 2 ─────────────────────────────────────────────────────────────────────────────────────
export interface NewObject {
  bucket: string;
  /** The object's whole name. "photos/2024/cat.jpg" is one key: S3 has no folders. */
  key: string;
  body: string | Uint8Array;
  contentType: string;
  /** Your own metadata, sent as x-amz-meta-* headers. S3 gives the names back in lower case. */
  metadata?: Record<string, string>;
}

export interface PutResult {
  etag: string;
  /** Set once versioning is enabled on the bucket (step 7). */
  versionId?: string;
}

/** Stores an object: its bytes, its content type and its metadata. */
export async function putObject(s3: S3Client, object: NewObject): Promise<PutResult> {
  const result = await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      Body: object.body,
      ContentType: object.contentType,
      Metadata: object.metadata,
    }),
  );
  return { etag: result.ETag!, versionId: result.VersionId };
}

// ── Step 3 ─────────────────────────────────────────────────────────────────────────────────────
export interface StoredObject {
  body: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** Reads an object back: its body as text, its content type and its metadata. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<StoredObject> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    body: await object.Body!.transformToString(),
    contentType: object.ContentType,
    metadata: object.Metadata ?? {},
  };
}

// ── Step 4 ─────────────────────────────────────────────────────────────────────────────────────
export interface ListOptions {
  /** Only keys that start with this, e.g. "photos/". */
  prefix?: string;
  /** Group the keys after the prefix up to this character (usually "/") into "folders". */
  delimiter?: string;
  /** Keys per request (MaxKeys). S3 answers at most 1000 at a time. */
  pageSize?: number;
}

export interface Listing {
  keys: string[];
  /** The CommonPrefixes: what a console draws as folders. */
  folders: string[];
  /** How many ListObjectsV2 requests it took. */
  pages: number;
}

// #region slide:paginate
/** Lists a bucket's keys, every page of them, and the "folders" when a delimiter is given. */
export async function listObjects(s3: S3Client, bucket: string, options: ListOptions = {}): Promise<Listing> {
  const listing: Listing = { keys: [], folders: [], pages: 0 };
  const pages = paginateListObjectsV2(
    { client: s3, pageSize: options.pageSize ?? 1000 },
    { Bucket: bucket, Prefix: options.prefix, Delimiter: options.delimiter },
  );
  for await (const page of pages) {
    listing.pages += 1;
    for (const object of page.Contents ?? []) listing.keys.push(object.Key!);
    for (const folder of page.CommonPrefixes ?? []) listing.folders.push(folder.Prefix!);
  }
  return listing;
}
// #endregion

// ── Step 5 ─────────────────────────────────────────────────────────────────────────────────────
/** A URL that lets anyone GET this one object, without credentials, until it expires. */
export async function presignGetUrl(s3: S3Client, bucket: string, key: string, expiresInSeconds = 300): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
}

// ── Step 6 ─────────────────────────────────────────────────────────────────────────────────────
/** Every part but the last must be at least 5 MiB. */
export const PART_SIZE = 5 * MiB;

export interface LargeObject {
  bucket: string;
  key: string;
  body: Uint8Array | Readable;
  contentType?: string;
  /** Called as parts finish: bytes sent so far, of how many, and which part. */
  onProgress?: (progress: Progress) => void;
}

// #region slide:multipart
/** Uploads a large object in parts, several at a time, reporting progress. */
export async function uploadLargeObject(s3: S3Client, object: LargeObject): Promise<{ etag: string }> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: object.bucket, Key: object.key, Body: object.body, ContentType: object.contentType },
    partSize: PART_SIZE,
    queueSize: 2, // parts in flight at once
  });
  if (object.onProgress) upload.on("httpUploadProgress", object.onProgress);
  const result = await upload.done();
  return { etag: result.ETag! };
}
// #endregion

// ── Step 7 ─────────────────────────────────────────────────────────────────────────────────────
/** From now on an overwrite or a delete keeps the old version. There is no going back, only "Suspended". */
export async function enableVersioning(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
}

// ── Step 8 ─────────────────────────────────────────────────────────────────────────────────────
export interface ObjectVersion {
  key: string;
  versionId: string;
  /** The version a plain GetObject returns (or, for a delete marker, the reason it says NoSuchKey). */
  isLatest: boolean;
  /** A delete in a versioned bucket stores a marker; the versions under it stay. */
  deleteMarker: boolean;
}

/** Lists every version and delete marker, page after page (ListObjectVersions has no SDK paginator). */
export async function listObjectVersions(
  s3: S3Client,
  bucket: string,
  options: { prefix?: string; pageSize?: number } = {},
): Promise<ObjectVersion[]> {
  const found: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: options.prefix,
        MaxKeys: options.pageSize,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    for (const v of page.Versions ?? []) {
      found.push({ key: v.Key!, versionId: v.VersionId!, isLatest: v.IsLatest ?? false, deleteMarker: false });
    }
    for (const m of page.DeleteMarkers ?? []) {
      found.push({ key: m.Key!, versionId: m.VersionId!, isLatest: m.IsLatest ?? false, deleteMarker: true });
    }
    // The next page starts after this key and version.
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return found;
}

// ── Step 9 ─────────────────────────────────────────────────────────────────────────────────────
/** Reads one version of an object, the latest or any older one, by its VersionId. */
export async function getObjectVersion(s3: S3Client, bucket: string, key: string, versionId: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return object.Body!.transformToString();
}

// ── Step 10 ────────────────────────────────────────────────────────────────────────────────────
// #region slide:cleanup
/**
 * Deletes every version and delete marker, in batches (DeleteObjects takes at most 1000 keys),
 * then the bucket: S3 refuses to delete a bucket that is not empty.
 */
export async function emptyAndDeleteBucket(s3: S3Client, bucket: string, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const versions = await listObjectVersions(s3, bucket);
  for (let start = 0; start < versions.length; start += batchSize) {
    const batch = versions.slice(start, start + batchSize);
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((v) => ({ Key: v.key, VersionId: v.versionId })), Quiet: true },
      }),
    );
    // "Todo puede fallar": DeleteObjects answers 200 OK even when some keys were not deleted.
    if (result.Errors?.length) {
      throw new Error(`S3 did not delete ${result.Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")}`);
    }
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await waitUntilBucketNotExists({ client: s3, maxWaitTime: 30 }, { Bucket: bucket });
  return versions.length;
}
// #endregion

// ── The demo: `npx tsx solutions/04-s3/solution.ts` ─────────────────────────────────────────────
function mib(bytes = 0): string {
  return (bytes / MiB).toFixed(1);
}

async function tour(s3: S3Client, bucket: string): Promise<void> {
  console.log("\nStep 2–3 · an object is a key, bytes and metadata");
  await putObject(s3, {
    bucket,
    key: "hello.txt",
    body: "No toca botón!",
    contentType: "text/plain; charset=utf-8",
    metadata: { talk: "PyCon Argentina" },
  });
  const hello = await getObject(s3, bucket, "hello.txt");
  console.log(`  hello.txt: "${hello.body}" (${hello.contentType}, metadata ${JSON.stringify(hello.metadata)})`);

  console.log("\nStep 4 · listing, page by page, and folders that are not there");
  const keys = ["photos/2024/cat.jpg", "photos/2024/dog.jpg", "photos/2025/owl.jpg", "photos/index.html", "notes.txt"];
  for (const key of keys) await putObject(s3, { bucket, key, body: key, contentType: "text/plain" });
  const all = await listObjects(s3, bucket, { pageSize: 2 });
  console.log(`  ${all.keys.length} keys in ${all.pages} pages of 2: ${all.keys.join(", ")}`);
  const photos = await listObjects(s3, bucket, { prefix: "photos/", delimiter: "/" });
  console.log(`  prefix "photos/", delimiter "/": files ${photos.keys.join(", ")}; folders ${photos.folders.join(", ")}`);

  console.log("\nStep 5 · a presigned URL, fetched without the SDK");
  const url = await presignGetUrl(s3, bucket, "hello.txt", 60);
  const response = await fetch(url);
  console.log(`  GET ${url.split("?")[0]}?X-Amz-Signature=… → ${response.status} "${await response.text()}"`);

  console.log("\nStep 6 · a multipart upload of 6 MiB, in parts of 5 MiB");
  const big = Buffer.alloc(6 * MiB, "no toca botón\n");
  const { etag } = await uploadLargeObject(s3, {
    bucket,
    key: "big.bin",
    body: big,
    contentType: "application/octet-stream",
    onProgress: (p) => console.log(`  sent part ${p.part}: ${mib(p.loaded)} of ${mib(p.total)} MiB`),
  });
  console.log(`  big.bin uploaded, ETag ${etag} (the "-2": two parts)`);

  console.log("\nStep 7–9 · versioning: an overwrite keeps the old version");
  await enableVersioning(s3, bucket);
  const first = await putObject(s3, { bucket, key: "config.json", body: '{"color":"red"}', contentType: "application/json" });
  await putObject(s3, { bucket, key: "config.json", body: '{"color":"blue"}', contentType: "application/json" });
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "config.json" }));
  for (const v of await listObjectVersions(s3, bucket, { prefix: "config.json" })) {
    const what = v.deleteMarker ? "delete marker" : v.versionId === first.versionId ? "the first put" : "the overwrite";
    console.log(`  ${v.key} ${v.versionId.slice(0, 8)}… ${what}${v.isLatest ? " ← latest" : ""}`);
  }
  console.log(`  deleted, yet the first version still reads ${await getObjectVersion(s3, bucket, "config.json", first.versionId!)}`);
}

export async function main(): Promise<void> {
  const s3 = createClient(S3Client);
  const bucket = uniqueName("demo");
  console.log("Step 1 · a bucket");
  await createBucket(s3, bucket);
  console.log(`  created ${bucket}`);
  let finished = false;
  try {
    await tour(s3, bucket);
    finished = true;
  } finally {
    // Runs even when a step failed: a bucket left behind keeps costing money on real AWS.
    console.log("\nStep 10 · clean up");
    try {
      const deleted = await emptyAndDeleteBucket(s3, bucket);
      console.log(`  deleted ${deleted} versions and delete markers, then ${bucket}`);
    } catch (err) {
      if (finished) throw err;
      // Keep the first error: it names the step to fix.
      console.error(`  ${bucket} was not deleted (\`npm start -- cleanup\` removes it): ${(err as Error).message}`);
    }
  }
}

runMain(import.meta.url, main);
