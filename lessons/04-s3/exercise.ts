// Lesson 04 · S3, the Simple Storage Service: buckets that hold objects, and an object is a key,
// its bytes and a little metadata. The talk's numbers are design targets: eleven nines of
// durability (what S3 stored, it keeps) and four nines of availability (a request can still fail,
// now and then, and the SDK retries it).
//
// Core (steps 1-6, about 40 minutes), then stretch (steps 7-10, about 25); README.md explains each step.
//   npm run check -- 04                 tells you what works and the next TODO to do
//   npm start -- hint 04                a hint for that TODO
//   npx tsx lessons/04-s3/exercise.ts   runs the whole lesson as a demo, once every TODO is done
import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
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
import { createClient, runMain, say, todo, uniqueName, workshopTags } from "../../workshop/lesson";

export const MiB = 1024 * 1024;

/** A bucket lives in one region. Outside us-east-1, CreateBucket must say which one. */
async function locationOf(s3: S3Client): Promise<CreateBucketConfiguration | undefined> {
  const region = await s3.config.region();
  return region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint };
}

// ── Step 1 (core) ──────────────────────────────────────────────────────────────────────────────
/** Creates a bucket, waits until it answers, and tags it as the workshop's. */
export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  // TODO 1: create the bucket (CreateBucket): outside us-east-1 it must name its region, which
  // locationOf(s3) works out. Creating a bucket is eventually consistent: wait until it answers
  // (the SDK's bucket-exists waiter). Then tag it (PutBucketTagging) with workshopTags().
  todo(1, "create the bucket (CreateBucket), wait until it exists, and tag it (PutBucketTagging)");
}

// ── Step 2 (core) ──────────────────────────────────────────────────────────────────────────────
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
  /** Names this content of the object. Not a checksum you can rely on: see the checksum fields. */
  etag: string;
  /** Set once versioning is enabled on the bucket (step 9). */
  versionId?: string;
}

/** Stores an object: its bytes, its content type and its metadata. */
export async function putObject(s3: S3Client, object: NewObject): Promise<PutResult> {
  // TODO 2: store the object (PutObject) with its body, content type and metadata.
  // Return the ETag S3 answers, and the VersionId (set once versioning is on).
  todo(2, "store the object with PutObject, its content type and metadata included");
}

// ── Step 3 (core) ──────────────────────────────────────────────────────────────────────────────
export interface StoredObject {
  body: string;
  contentType?: string;
  metadata: Record<string, string>;
  /** The CRC32 checksum S3 keeps for the object (the SDK sends one with every upload). */
  checksumCRC32?: string;
}

/** Reads an object back: its body as text, its content type, its metadata and its checksum. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<StoredObject> {
  // TODO 3: read the object back (GetObject), asking S3 for its checksum (ChecksumMode) so the SDK
  // checks the bytes. The body arrives as a stream: turn it into text. Return the body, content type,
  // metadata (or {}) and the CRC32 checksum.
  todo(3, "read the object with GetObject, its checksum included, and its body as text");
}

// ── Step 4 (core) ──────────────────────────────────────────────────────────────────────────────
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

/** Lists a bucket's keys, every page of them, and the "folders" when a delimiter is given. */
export async function listObjects(s3: S3Client, bucket: string, options: ListOptions = {}): Promise<Listing> {
  // TODO 4: list every page of keys (ListObjectsV2, through the SDK's paginator), with the prefix,
  // the delimiter and the page size. Count the pages; collect the keys and the common prefixes (the "folders").
  todo(4, "list every page of keys with the ListObjectsV2 paginator, prefix and delimiter included");
}

// ── Step 5 (core) ──────────────────────────────────────────────────────────────────────────────
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
  // TODO 5: list every version and delete marker (ListObjectVersions). It has no SDK paginator: loop,
  // passing the answer's next key marker and next version id marker back while the answer is truncated.
  todo(5, "list every version and delete marker with ListObjectVersions, page after page");
}

// ── Step 6 (core) ──────────────────────────────────────────────────────────────────────────────
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes every version and delete marker, in batches (DeleteObjects takes at most 1000 keys),
 * then the bucket: S3 refuses to delete a bucket that is not empty.
 */
export async function emptyAndDeleteBucket(s3: S3Client, bucket: string, options: { batchSize?: number } = {}): Promise<number> {
  // TODO 6: delete every version and delete marker (your listObjectVersions), in batches of at most
  // batchSize keys (DeleteObjects), then the bucket (DeleteBucket) and wait until it is gone.
  // DeleteObjects answers 200 even when some keys were not deleted: send again the ones its errors
  // name, a few times, waiting a little longer each time, then give up. Return how many were deleted.
  todo(6, "delete every version and marker (DeleteObjects, in batches), then the bucket (DeleteBucket)");
}

// ── Step 7 (stretch) ───────────────────────────────────────────────────────────────────────────
/** A URL that lets anyone GET this one object, without credentials, until it expires. */
export async function presignGetUrl(s3: S3Client, bucket: string, key: string, expiresInSeconds = 300): Promise<string> {
  // TODO 7: sign a GetObject request without sending it (the S3 request presigner), valid for
  // expiresInSeconds, and return the URL.
  todo(7, "make a presigned GET URL with getSignedUrl from @aws-sdk/s3-request-presigner");
}

// ── Step 8 (stretch) ───────────────────────────────────────────────────────────────────────────
/** S3's limits for a multipart upload: every part but the last at least 5 MiB, at most 10,000 parts. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PARTS = 10_000;

/** The part size for an object of this many bytes: 5 MiB, or bigger when 10,000 parts of 5 MiB are not enough. */
export function partSizeFor(size: number): number {
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
}

export interface LargeObject {
  bucket: string;
  key: string;
  body: Uint8Array | Readable;
  /** The size in bytes. Needed for a stream, whose length Upload cannot know in advance. */
  size?: number;
  contentType?: string;
  /** Called as parts finish: bytes sent so far, of how many, and which part. */
  onProgress?: (progress: Progress) => void;
}

/** Uploads a large object in parts, several at a time, reporting progress. */
export async function uploadLargeObject(s3: S3Client, object: LargeObject): Promise<{ etag: string }> {
  // TODO 8: upload in parts with Upload from @aws-sdk/lib-storage, in parts of partSizeFor(size)
  // (size: the given one, or the body's length), two parts in flight. Report each part's progress
  // to onProgress, if there is one; make sure a failed upload is aborted. Return the ETag.
  todo(8, "upload in parts with Upload from @aws-sdk/lib-storage, reporting progress");
}

// ── Step 9 (stretch) ───────────────────────────────────────────────────────────────────────────

/**
 * From now on an overwrite or a delete keeps the old version. There is no going back, only
 * "Suspended". Waits until GetBucketVersioning says "Enabled" (a bucket setting is eventually consistent).
 */
export async function enableVersioning(s3: S3Client, bucket: string, options: { maxWaitSeconds?: number } = {}): Promise<void> {
  // TODO 9: turn versioning on (PutBucketVersioning). A bucket setting is eventually consistent:
  // then read it back (GetBucketVersioning) until it says "Enabled", within maxWaitSeconds (default 60).
  todo(9, "turn versioning on with PutBucketVersioning and wait until GetBucketVersioning says Enabled");
}

// ── Step 10 (stretch) ──────────────────────────────────────────────────────────────────────────
/** Reads one version of an object, the latest or any older one, by its VersionId. */
export async function getObjectVersion(s3: S3Client, bucket: string, key: string, versionId: string): Promise<string> {
  // TODO 10: read one version of the object (GetObject with its version id) and return its body as text.
  todo(10, "read one version with GetObject and its VersionId");
}

// ── The demo: `npx tsx lessons/04-s3/exercise.ts` ──────────────────────────────────────────────
function mib(bytes = 0): string {
  return (bytes / MiB).toFixed(1);
}

async function tour(s3: S3Client, bucket: string): Promise<void> {
  console.log(say("\nStep 2–3 · an object is a key, bytes and metadata", "\nPasos 2–3 · un objeto es una clave, bytes y metadatos"));
  await putObject(s3, {
    bucket,
    key: "hello.txt",
    body: "No toca botón!",
    contentType: "text/plain; charset=utf-8",
    metadata: { talk: "PyCon Argentina" },
  });
  const hello = await getObject(s3, bucket, "hello.txt");
  const metadata = JSON.stringify(hello.metadata);
  console.log(
    say(
      `  hello.txt: "${hello.body}" (${hello.contentType}, metadata ${metadata}, CRC32 ${hello.checksumCRC32})`,
      `  hello.txt: "${hello.body}" (${hello.contentType}, metadatos ${metadata}, CRC32 ${hello.checksumCRC32})`,
    ),
  );

  console.log(say("\nStep 4 · listing, page by page, and folders that are not there", "\nPaso 4 · listar página por página, y carpetas que no existen"));
  const keys = ["photos/2024/cat.jpg", "photos/2024/dog.jpg", "photos/2025/owl.jpg", "photos/index.html", "notes.txt"];
  for (const key of keys) await putObject(s3, { bucket, key, body: key, contentType: "text/plain" });
  const all = await listObjects(s3, bucket, { pageSize: 2 });
  const listed = all.keys.join(", ");
  console.log(say(`  ${all.keys.length} keys in ${all.pages} pages of 2: ${listed}`, `  ${all.keys.length} claves en ${all.pages} páginas de 2: ${listed}`));
  const photos = await listObjects(s3, bucket, { prefix: "photos/", delimiter: "/" });
  const [files, folders] = [photos.keys.join(", "), photos.folders.join(", ")];
  console.log(
    say(
      `  prefix "photos/", delimiter "/": files ${files}; folders ${folders}`,
      `  prefijo "photos/", delimitador "/": archivos ${files}; carpetas ${folders}`,
    ),
  );

  console.log(say("\nStep 7 · a presigned URL, fetched without the SDK", "\nPaso 7 · una URL prefirmada, descargada sin el SDK"));
  const url = await presignGetUrl(s3, bucket, "hello.txt", 60);
  const response = await fetch(url);
  // Print the URL without its query string: the signature in it is a secret until it expires.
  console.log(`  GET ${url.split("?")[0]}?X-Amz-Signature=… → ${response.status} "${await response.text()}"`);

  console.log(
    say(
      "\nStep 8 · a multipart upload of 6 MiB, in parts of 5 MiB, two in flight at once",
      "\nPaso 8 · una carga multiparte de 6 MiB, en partes de 5 MiB, dos en vuelo a la vez",
    ),
  );
  const big = Buffer.alloc(6 * MiB, "no toca botón\n");
  const { etag } = await uploadLargeObject(s3, {
    bucket,
    key: "big.bin",
    body: big,
    contentType: "application/octet-stream",
    onProgress: (p) =>
      console.log(
        say(
          `  part ${p.part} done: ${mib(p.loaded)} of ${mib(p.total)} MiB sent`,
          `  parte ${p.part} lista: ${mib(p.loaded)} de ${mib(p.total)} MiB enviados`,
        ),
      ),
  });
  console.log(
    say(
      `  big.bin uploaded, ETag ${etag} (the "-2": two parts; a multipart ETag is not an MD5 of the file)`,
      `  big.bin subido, ETag ${etag} (el "-2": dos partes; un ETag multiparte no es un MD5 del archivo)`,
    ),
  );

  console.log(
    say("\nStep 5 and 10 · versioning: an overwrite keeps the old version", "\nPasos 5 y 10 · control de versiones: sobrescribir conserva la versión anterior"),
  );
  const first = await putObject(s3, { bucket, key: "config.json", body: '{"color":"red"}', contentType: "application/json" });
  await putObject(s3, { bucket, key: "config.json", body: '{"color":"blue"}', contentType: "application/json" });
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "config.json" }));
  for (const v of await listObjectVersions(s3, bucket, { prefix: "config.json" })) {
    const what = v.deleteMarker
      ? say("delete marker", "marcador de eliminación")
      : v.versionId === first.versionId
        ? say("the first put", "el primer put")
        : say("the overwrite", "la sobrescritura");
    const latest = v.isLatest ? say(" ← latest", " ← actual") : "";
    console.log(`  ${v.key} ${v.versionId.slice(0, 8)}… ${what}${latest}`);
  }
  const old = await getObjectVersion(s3, bucket, "config.json", first.versionId!);
  console.log(say(`  deleted, yet the first version still reads ${old}`, `  borrado, y aun así la primera versión todavía dice ${old}`));
}

export async function main(): Promise<void> {
  const s3 = createClient(S3Client);
  const bucket = uniqueName("demo");
  console.log(say("Step 1 and 9 · a bucket, versioned from the start", "Pasos 1 y 9 · un bucket, con control de versiones desde el principio"));
  await createBucket(s3, bucket);
  let finished = false;
  try {
    // On AWS, turn versioning on before the first write (and wait for it): puts made while the
    // change propagates may get no version.
    await enableVersioning(s3, bucket);
    console.log(say(`  created ${bucket}, versioning Enabled`, `  creé ${bucket}, con el control de versiones en Enabled`));
    await tour(s3, bucket);
    finished = true;
  } finally {
    // Runs even when a step failed: a bucket left behind keeps costing money on real AWS.
    console.log(say("\nStep 6 · clean up", "\nPaso 6 · limpieza"));
    try {
      const deleted = await emptyAndDeleteBucket(s3, bucket);
      console.log(
        say(`  deleted ${deleted} versions and delete markers, then ${bucket}`, `  borré ${deleted} versiones y marcadores de eliminación, y después ${bucket}`),
      );
    } catch (err) {
      if (finished) throw err;
      // Keep the first error: it names the step to fix.
      const why = (err as Error).message;
      console.error(
        say(
          `  ${bucket} was not deleted (\`npm start -- cleanup\` removes it): ${why}`,
          `  ${bucket} no se borró (\`npm start -- cleanup\` lo borra): ${why}`,
        ),
      );
    }
  }
}

runMain(import.meta.url, main);
