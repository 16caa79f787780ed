// Lesson 04 · S3, the Simple Storage Service: buckets that hold objects, and an object is a key,
// its bytes and a little metadata. The talk's numbers are design targets: eleven nines of
// durability (what S3 stored, it keeps) and four nines of availability (a request can still fail,
// now and then, and the SDK retries it).
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
import { createClient, runMain, say, uniqueName, workshopTags } from "../../workshop/lesson";

export const MiB = 1024 * 1024;

/** A bucket lives in one region. Outside us-east-1, CreateBucket must say which one. */
async function locationOf(s3: S3Client): Promise<CreateBucketConfiguration | undefined> {
  const region = await s3.config.region();
  return region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint };
}

// ── Step 1 (core) ──────────────────────────────────────────────────────────────────────────────
// #region slide:create-bucket
/** Creates a bucket, waits until it answers, and tags it as the workshop's. */
export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: await locationOf(s3) }));
  // "Consistencia eventual": creating a bucket is a configuration change, and those are eventually consistent.
  await waitUntilBucketExists({ client: s3, maxWaitTime: 30 }, { Bucket: bucket });
  // "Todo es tarifado": tag what you create, so that you can find it (and, once activated, its bill) later.
  await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: workshopTags() } }));
}
// #endregion

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
  // ChecksumMode "ENABLED": S3 returns the object's checksum, and the SDK checks the bytes against it.
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  return {
    body: await object.Body!.transformToString(),
    contentType: object.ContentType,
    metadata: object.Metadata ?? {},
    checksumCRC32: object.ChecksumCRC32,
  };
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

// ── Step 6 (core) ──────────────────────────────────────────────────────────────────────────────
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// #region slide:cleanup
/**
 * Deletes every version and delete marker, in batches (DeleteObjects takes at most 1000 keys),
 * then the bucket: S3 refuses to delete a bucket that is not empty.
 */
export async function emptyAndDeleteBucket(s3: S3Client, bucket: string, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const versions = await listObjectVersions(s3, bucket);
  for (let start = 0; start < versions.length; start += batchSize) {
    let left = versions.slice(start, start + batchSize);
    // "Todo puede fallar": DeleteObjects answers 200 OK even when some keys were not deleted.
    // Its Errors name them: send those again, a few times, waiting a little longer each time.
    for (let attempt = 1; left.length > 0; attempt++) {
      const { Errors = [] } = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: left.map((v) => ({ Key: v.key, VersionId: v.versionId })), Quiet: true },
        }),
      );
      left = left.filter((v) => Errors.some((e) => e.Key === v.key && (e.VersionId ?? v.versionId) === v.versionId));
      if (left.length > 0 && attempt === 5) {
        throw new Error(`S3 did not delete ${Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")}`);
      }
      if (left.length > 0) await sleep(50 * 2 ** attempt);
    }
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await waitUntilBucketNotExists({ client: s3, maxWaitTime: 30 }, { Bucket: bucket });
  return versions.length;
}
// #endregion

// ── Step 7 (stretch) ───────────────────────────────────────────────────────────────────────────
/** A URL that lets anyone GET this one object, without credentials, until it expires. */
export async function presignGetUrl(s3: S3Client, bucket: string, key: string, expiresInSeconds = 300): Promise<string> {
  // Whoever holds the URL can use it, again and again, until it expires: keep it short, never log it.
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
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

// #region slide:multipart
/** Uploads a large object in parts, several at a time, reporting progress. */
export async function uploadLargeObject(s3: S3Client, object: LargeObject): Promise<{ etag: string }> {
  const size = object.size ?? (object.body instanceof Uint8Array ? object.body.byteLength : undefined);
  const upload = new Upload({
    client: s3,
    params: { Bucket: object.bucket, Key: object.key, Body: object.body, ContentType: object.contentType, ContentLength: size },
    partSize: partSizeFor(size ?? 0),
    queueSize: 2, // parts in flight at once
    // A part that still fails after the SDK's retries fails the upload, and Upload aborts it
    // (AbortMultipartUpload), so no half-uploaded parts stay behind to be billed.
    leavePartsOnError: false,
  });
  if (object.onProgress) upload.on("httpUploadProgress", object.onProgress);
  const result = await upload.done();
  return { etag: result.ETag! };
}
// #endregion

// ── Step 9 (stretch) ───────────────────────────────────────────────────────────────────────────

/**
 * From now on an overwrite or a delete keeps the old version. There is no going back, only
 * "Suspended". Waits until GetBucketVersioning says "Enabled" (a bucket setting is eventually consistent).
 */
export async function enableVersioning(s3: S3Client, bucket: string, options: { maxWaitSeconds?: number } = {}): Promise<void> {
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  const deadline = Date.now() + (options.maxWaitSeconds ?? 60) * 1000;
  for (;;) {
    const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (Status === "Enabled") return;
    if (Date.now() > deadline) throw new Error(`Versioning of ${bucket} is still "${Status ?? "never enabled"}"`);
    await sleep(1000);
  }
}

// ── Step 10 (stretch) ──────────────────────────────────────────────────────────────────────────
/** Reads one version of an object, the latest or any older one, by its VersionId. */
export async function getObjectVersion(s3: S3Client, bucket: string, key: string, versionId: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return object.Body!.transformToString();
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
