// Lesson 04's checks, one or two per step. Each test makes its own bucket with plain SDK calls
// (so an unfinished step never breaks another step's test) and removes it afterwards, even when
// the test fails and even when your emptyAndDeleteBucket (step 6) is not written yet.
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type { Progress } from "@aws-sdk/lib-storage";
import { afterEach, beforeAll, expect, test } from "vitest";
import {
  createClient,
  describeFault,
  injectFaults,
  loadLesson,
  NotImplementedError,
  recordCalls,
  RUN_ID,
  uniqueName,
  waitFor,
  WaitedTooLongError,
  within,
  type RecordedCall,
} from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("04-s3");
const s3 = createClient(S3Client);

// LocalStack loads its S3 service on the first request (several seconds): take that before the
// checks, so that their bound on a call that never returns (8 s) measures the lesson's code only.
beforeAll(async () => {
  await s3.send(new ListBucketsCommand({}));
}, 60_000);
const MiB = 1024 * 1024;

// Every bucket these tests make is named uniqueName("s3"), so they all start with this.
const RUN_PREFIX = `nt-s3-${RUN_ID}-`.toLowerCase();

// ── Helpers: plain SDK calls, independent of the lesson ──────────────────────────────────────────

const buckets = new Set<string>();

/** A name for a bucket that is removed after the test, whoever creates it. */
function bucketName(): string {
  const bucket = uniqueName("s3");
  buckets.add(bucket);
  return bucket;
}

/** A fresh bucket, made without the lesson's code. */
async function newBucket(options: { versioned?: boolean } = {}): Promise<string> {
  const bucket = bucketName();
  const region = await s3.config.region();
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint },
    }),
  );
  if (options.versioned) {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  }
  return bucket;
}

async function put(bucket: string, key: string, body: string, extra: { contentType?: string; metadata?: Record<string, string> } = {}) {
  return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: extra.contentType, Metadata: extra.metadata }));
}

function isMissing(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === "NoSuchBucket" || name === "NotFound" || name === "NoSuchKey";
}

/** What the bucket holds, in words, for failure messages: "a.txt, b.txt (delete marker)". */
async function holds(bucket: string): Promise<string> {
  try {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const entries = [
      ...(page.Versions ?? []).map((v) => (v.VersionId && v.VersionId !== "null" ? `${v.Key} (version ${v.VersionId.slice(0, 8)}…)` : v.Key!)),
      ...(page.DeleteMarkers ?? []).map((m) => `${m.Key} (delete marker)`),
    ];
    return entries.length ? entries.join(", ") : "nothing (it is empty)";
  } catch (err) {
    if (isMissing(err)) return "nothing: the bucket does not exist";
    throw err;
  }
}

/**
 * Calls the lesson. A TODO passes through as is; any other error says what the bucket holds. A call
 * that has not returned after 8 s (a loop whose page marker never advances, say) fails, naming it.
 */
async function call<T>(what: string, bucket: string, promise: Promise<T>): Promise<T> {
  try {
    return await within(what, promise);
  } catch (err) {
    if (err instanceof NotImplementedError) throw err;
    if (err instanceof WaitedTooLongError) {
      throw new Error(
        `${err.message} If it loops over pages, does each request pass on the marker or token of the answer before it?\n` +
          `The bucket ${bucket} holds: ${await holds(bucket)}`,
      );
    }
    const e = err as Error;
    throw new Error(`${what} threw ${e.name}: ${e.message}\nThe bucket ${bucket} holds: ${await holds(bucket)}`, { cause: err });
  }
}

/** The calls the lesson's code made, in a recording, as "Operation {input}" lines for messages. */
function sent(calls: RecordedCall[]): string {
  return calls.length ? calls.map((c) => `${c.operation} ${JSON.stringify(c.input)}`).join("; ") : "nothing";
}

/** The calls of one S3 operation in a recording (each recording spans only the lesson's call). */
function lessonCalls(rec: ReturnType<typeof recordCalls>, operation: string): RecordedCall[] {
  return rec.filter("S3", operation);
}

/** Empties (versions, delete markers, unfinished multipart uploads) and deletes a bucket, if it exists. */
async function removeBucket(bucket: string): Promise<void> {
  try {
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      if (objects.length === 0) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    }
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

afterEach(async () => {
  const made = [...buckets];
  buckets.clear();
  await Promise.all(made.map(removeBucket));
});

// ── Step 1 ──────────────────────────────────────────────────────────────────────────────────────

test("step 1: createBucket makes a bucket that answers, tagged as the workshop's", async () => {
  const bucket = bucketName();
  const rec = recordCalls();
  await call("createBucket", bucket, lesson.createBucket(s3, bucket));
  rec.stop();
  // Creating a bucket is eventually consistent on AWS (the emulator answers at once): wait for it.
  const ops = rec.calls.filter((c) => c.service === "S3").map((c) => c.operation);
  expect(
    ops.indexOf("HeadBucket", ops.indexOf("CreateBucket") + 1),
    `createBucket sent ${ops.join(", ") || "nothing"}: after CreateBucket, wait until the bucket answers (waitUntilBucketExists polls HeadBucket)`,
  ).toBeGreaterThan(ops.indexOf("CreateBucket"));

  const head = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => "it answers",
    (err: Error) => `${err.name}`,
  );
  expect(head, `HeadBucket ${bucket} after createBucket`).toBe("it answers");

  const tagSet = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket })).then(
    (r) => r.TagSet ?? [],
    () => [],
  );
  const tags = Object.fromEntries(tagSet.map((t) => [t.Key, t.Value]));
  expect(tags, `the bucket's tags are ${JSON.stringify(tags)}: tag it with PutBucketTaggingCommand and workshopTags()`).toMatchObject({
    workshop: "no-toca-boton",
    "workshop-run": RUN_ID,
  });
});

// ── Steps 2 and 3 ───────────────────────────────────────────────────────────────────────────────

test("step 2: putObject stores the body, the content type and the metadata", async () => {
  const bucket = await newBucket();
  const key = "docs/hello.txt";
  const result = await call(
    "putObject",
    bucket,
    lesson.putObject(s3, {
      bucket,
      key,
      body: "¡Hola, PyCon!",
      contentType: "text/plain; charset=utf-8",
      metadata: { talk: "no toca boton", year: "2012" },
    }),
  );

  const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(async (err) => {
    if (!isMissing(err)) throw err;
    throw new Error(`Expected an object with the key "${key}", but the bucket holds: ${await holds(bucket)}`);
  });
  expect(await stored.Body!.transformToString(), "the stored body").toBe("¡Hola, PyCon!");
  expect(stored.ContentType, "the stored content type (ContentType)").toBe("text/plain; charset=utf-8");
  expect(stored.Metadata, "the stored metadata (Metadata)").toEqual({ talk: "no toca boton", year: "2012" });
  expect(result?.etag, "putObject should return the ETag that S3 answered").toBe(stored.ETag);
});

test("step 3: getObject reads the body, the content type and the metadata back", async () => {
  const bucket = await newBucket();
  await put(bucket, "config/settings.json", '{"region":"sa-east-1"}', { contentType: "application/json", metadata: { owner: "fruss" } });

  const rec = recordCalls();
  const got = await call("getObject", bucket, lesson.getObject(s3, bucket, "config/settings.json"));
  rec.stop();
  expect(got?.body, "the body, as text (Body.transformToString())").toBe('{"region":"sa-east-1"}');
  expect(got?.contentType, "the content type").toBe("application/json");
  expect(got?.metadata, "the metadata").toEqual({ owner: "fruss" });

  // S3 keeps a checksum of every object (the SDK sends a CRC32 with each upload).
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "config/settings.json", ChecksumMode: "ENABLED" }));
  expect(got?.checksumCRC32, "the CRC32 checksum S3 stored for the object (ask GetObject for it with ChecksumMode)").toBe(head.ChecksumCRC32);
  expect(got?.checksumCRC32, "the checksum: S3 returns it only when GetObject asks for it").toBeTruthy();
  // moto returns the checksum even when not asked; AWS only with ChecksumMode "ENABLED".
  // Any read that asks for it counts: GetObject or HeadObject with ChecksumMode, or GetObjectAttributes.
  const asked = [...lessonCalls(rec, "GetObject"), ...lessonCalls(rec, "HeadObject")].some((c) => c.input.ChecksumMode === "ENABLED") ||
    lessonCalls(rec, "GetObjectAttributes").some((c) => (c.input.ObjectAttributes as string[] | undefined)?.includes("Checksum"));
  expect(
    asked,
    `getObject sent ${sent(rec.calls)}: on AWS only ChecksumMode "ENABLED" brings the checksum back`,
  ).toBe(true);
});

// ── Step 4 ──────────────────────────────────────────────────────────────────────────────────────

test("step 4: listObjects reads every page, not just the first", async () => {
  const bucket = await newBucket();
  const keys = ["a.txt", "b.txt", "c.txt", "logs/1.log", "logs/2.log", "photos/cat.jpg", "z.txt"];
  await Promise.all(keys.map((key) => put(bucket, key, key)));

  const listing = await call("listObjects", bucket, lesson.listObjects(s3, bucket, { pageSize: 2 }));
  const got = listing?.keys ?? [];
  expect(got, `listObjects(pageSize 2) returned ${got.length} of ${keys.length} keys; the bucket holds: ${await holds(bucket)}`).toEqual(keys);
  expect(listing?.pages, "7 keys, 2 per page, take 4 pages: pass pageSize to paginateListObjectsV2 and count the pages").toBe(4);
});

test("step 4: listObjects with a prefix and a delimiter shows folders that are not there", async () => {
  const bucket = await newBucket();
  const keys = ["photos/2024/cat.jpg", "photos/2024/dog.jpg", "photos/2025/owl.jpg", "photos/index.html", "notes.txt"];
  await Promise.all(keys.map((key) => put(bucket, key, key)));

  const listing = await call(
    "listObjects",
    bucket,
    lesson.listObjects(s3, bucket, { prefix: "photos/", delimiter: "/", pageSize: 2 }),
  );
  const seen = `listObjects returned keys [${listing?.keys.join(", ")}] and folders [${listing?.folders.join(", ")}]; the bucket holds: ${await holds(bucket)}`;
  expect(listing?.keys, `only the keys right under "photos/" (Contents). ${seen}`).toEqual(["photos/index.html"]);
  expect(listing?.folders, `the "folders" (CommonPrefixes). ${seen}`).toEqual(["photos/2024/", "photos/2025/"]);
});

// ── Step 5 ──────────────────────────────────────────────────────────────────────────────────────

test("step 5: listObjectVersions lists every version and delete marker, page after page", async () => {
  const bucket = await newBucket({ versioned: true });
  const v1 = await put(bucket, "a.txt", "one");
  const v2 = await put(bucket, "a.txt", "two");
  const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a.txt" }));
  const b1 = await put(bucket, "b.txt", "bee");
  const expected = [
    { key: "a.txt", versionId: v1.VersionId, isLatest: false, deleteMarker: false },
    { key: "a.txt", versionId: v2.VersionId, isLatest: false, deleteMarker: false },
    { key: "a.txt", versionId: marker.VersionId, isLatest: true, deleteMarker: true },
    { key: "b.txt", versionId: b1.VersionId, isLatest: true, deleteMarker: false },
  ];
  const sorted = <T extends { key: string; versionId?: string }>(list: T[]) =>
    [...list].sort((x, y) => `${x.key} ${x.versionId}`.localeCompare(`${y.key} ${y.versionId}`));

  const rec = recordCalls();
  const all = await call("listObjectVersions", bucket, lesson.listObjectVersions(s3, bucket, { pageSize: 2 }));
  rec.stop();
  expect(
    sorted(all ?? []),
    `listObjectVersions(pageSize 2) returned ${all?.length} entries; the bucket holds: ${await holds(bucket)}. ` +
      `Follow NextKeyMarker and NextVersionIdMarker while IsTruncated, and include the DeleteMarkers`,
  ).toEqual(sorted(expected));

  // A page can end in the middle of a key's versions: on AWS a KeyMarker without its VersionIdMarker
  // starts after every version of that key, and skips the rest of them. (moto forgives it.)
  const requests = lessonCalls(rec, "ListObjectVersions");
  expect(
    requests.filter((c) => c.input.KeyMarker !== undefined && c.input.VersionIdMarker === undefined).map((c) => c.input),
    `listObjectVersions sent ${sent(requests)}: pass both NextKeyMarker and NextVersionIdMarker on`,
  ).toEqual([]);

  const onlyA = await call("listObjectVersions", bucket, lesson.listObjectVersions(s3, bucket, { prefix: "a.txt" }));
  expect(sorted(onlyA ?? []), `listObjectVersions with prefix "a.txt" (Prefix)`).toEqual(sorted(expected.slice(0, 3)));
});

// ── Step 6 ──────────────────────────────────────────────────────────────────────────────────────

/** Polls until HeadBucket says the bucket is gone (a deleted bucket may still answer for a moment on AWS). */
async function gone(bucket: string, before: string): Promise<void> {
  let last = "";
  await waitFor(
    `${bucket} to be gone`,
    () =>
      s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        async () => void (last = `it still exists and holds: ${await holds(bucket)}`),
        (err: Error) => {
          if (isMissing(err)) return true;
          last = `HeadBucket answers ${err.name}: ${err.message}`;
          return undefined;
        },
      ),
    { timeoutMs: 8000, intervalMs: 250 },
  ).catch((err: Error) => {
    throw new Error(`${bucket} held ${before}. After emptyAndDeleteBucket ${last || "HeadBucket never said it was gone"}. (${err.message})`);
  });
}

test("step 6: emptyAndDeleteBucket removes every version, delete marker and the bucket", async () => {
  const bucket = await newBucket({ versioned: true });
  for (const body of ["v1", "v2", "v3"]) await put(bucket, "notes.txt", body);
  await put(bucket, "photos/2024/cat.jpg", "meow");
  await put(bucket, "photos/2024/dog.jpg", "woof");
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "photos/2024/dog.jpg" }));
  const before = await holds(bucket);

  // Batches of 2: 6 versions and a delete marker take 4 DeleteObjects calls.
  const rec = recordCalls();
  const deleted = await call("emptyAndDeleteBucket", bucket, lesson.emptyAndDeleteBucket(s3, bucket, { batchSize: 2 }));
  rec.stop();
  await gone(bucket, before);
  expect(deleted, `emptyAndDeleteBucket returns how many versions and delete markers it deleted; the bucket held ${before}`).toBe(6);
  // AWS refuses a DeleteObjects of more than 1,000 keys, and a delete without a VersionId in a
  // versioned bucket only adds a delete marker. Any number of calls is fine; each within the batch.
  const deletes = lessonCalls(rec, "DeleteObjects");
  const objects = deletes.map((c) => ((c.input.Delete as { Objects?: { Key?: string; VersionId?: string }[] })?.Objects ?? []));
  expect(objects.filter((o) => o.length > 2).length, `with batchSize 2 each DeleteObjects holds at most 2 keys; it sent ${sent(deletes)}`).toBe(0);
  expect(objects.flat().filter((o) => !o.VersionId).length, `every key deleted with its VersionId; it sent ${sent(deletes)}`).toBe(0);
});

// ── Step 7 ──────────────────────────────────────────────────────────────────────────────────────

test("step 7: presignGetUrl makes a URL that a plain fetch() downloads", async () => {
  const bucket = await newBucket();
  await put(bucket, "reports/q3.csv", "quarter,total\nq3,42\n", { contentType: "text/csv" });

  const url = await call("presignGetUrl", bucket, lesson.presignGetUrl(s3, bucket, "reports/q3.csv", 120));
  const parsed = new URL(url);
  // moto (and LocalStack by default) do not check the signature, so the test checks that it is there.
  expect(parsed.searchParams.has("X-Amz-Signature"), `a presigned URL carries its signature in the query string (X-Amz-Signature), got ${parsed.origin}${parsed.pathname}?…`).toBe(true);
  expect(parsed.searchParams.get("X-Amz-Expires"), "the URL should expire in 120 seconds (X-Amz-Expires)").toBe("120");
  expect(parsed.pathname.endsWith("/reports/q3.csv") || parsed.hostname.startsWith(`${bucket}.`), `the URL names the object, got ${parsed.origin}${parsed.pathname}`).toBe(true);

  const response = await fetch(url);
  expect(response.status, `GET ${parsed.origin}${parsed.pathname}?…`).toBe(200);
  expect(await response.text(), "the downloaded body").toBe("quarter,total\nq3,42\n");
});

// ── Step 8 ──────────────────────────────────────────────────────────────────────────────────────

test("lesson: partSizeFor keeps any object S3 accepts within 10,000 parts of at least 5 MiB", () => {
  const GiB = 1024 * MiB;
  expect(lesson.partSizeFor(6 * MiB), "6 MiB: parts of 5 MiB, the smallest S3 allows").toBe(5 * MiB);
  for (const size of [48 * GiB, 50 * GiB, 5 * 1024 * GiB]) {
    const part = lesson.partSizeFor(size);
    expect(part, `parts for ${size / GiB} GiB`).toBeGreaterThanOrEqual(5 * MiB);
    expect(Math.ceil(size / part), `${size / GiB} GiB in parts of ${part} bytes`).toBeLessThanOrEqual(10_000);
  }
});

test("step 8: uploadLargeObject uploads 6 MiB in two parts and reports progress", async () => {
  const bucket = await newBucket();
  const size = 6 * MiB;
  const progress: Progress[] = [];

  await call(
    "uploadLargeObject",
    bucket,
    lesson.uploadLargeObject(s3, {
      bucket,
      key: "videos/talk.bin",
      body: Buffer.alloc(size, "no toca boton "),
      contentType: "application/octet-stream",
      onProgress: (p) => progress.push(p),
    }),
  );

  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "videos/talk.bin" })).catch(async (err) => {
    if (!isMissing(err)) throw err;
    throw new Error(`Expected videos/talk.bin in the bucket, but it holds: ${await holds(bucket)}`);
  });
  expect(head.ContentLength, "the stored size in bytes").toBe(size);
  // A multipart object's ETag ends in "-<number of parts>": 5 MiB + 1 MiB makes 2.
  expect(head.ETag, "the ETag of an object uploaded in 2 parts ends in -2: use Upload from @aws-sdk/lib-storage").toMatch(/-2"?$/);

  const loaded = Math.max(0, ...progress.map((p) => p.loaded ?? 0));
  const parts = [...new Set(progress.map((p) => p.part))].sort();
  expect(progress.length, `onProgress was called ${progress.length} times: pass it to upload.on("httpUploadProgress", …)`).toBeGreaterThanOrEqual(2);
  expect(parts, "progress should be reported for parts 1 and 2").toEqual([1, 2]);
  expect(loaded, "the last progress event should say all 6 MiB were sent").toBe(size);
});

test("step 8: uploadLargeObject takes a stream of a given size, as it would read a big file", async () => {
  const bucket = await newBucket();
  const size = 6 * MiB;
  const chunk = Buffer.alloc(MiB, "stream ");
  const body = Readable.from((function* () {
    for (let i = 0; i < 6; i++) yield chunk;
  })());

  await call("uploadLargeObject", bucket, lesson.uploadLargeObject(s3, { bucket, key: "streamed.bin", body, size }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "streamed.bin" })).catch(async (err) => {
    if (!isMissing(err)) throw err;
    throw new Error(`Expected streamed.bin in the bucket, but it holds: ${await holds(bucket)}`);
  });
  expect(head.ContentLength, "the stored size of the streamed object").toBe(size);
  expect(head.ETag, "a 6 MiB stream in parts of partSizeFor(size) makes two parts").toMatch(/-2"?$/);
});

// ── Step 9 ──────────────────────────────────────────────────────────────────────────────────────

test("step 9: enableVersioning turns versioning on and waits until S3 says it is on", async () => {
  const bucket = await newBucket();
  const rec = recordCalls();
  await call("enableVersioning", bucket, lesson.enableVersioning(s3, bucket));
  rec.stop();

  const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  expect(Status, "GetBucketVersioning's Status (undefined means versioning was never turned on)").toBe("Enabled");
  // On AWS the change takes a while to propagate: the code reads it back before anyone writes.
  const ops = rec.calls.map((c) => c.operation);
  const setAt = ops.indexOf("PutBucketVersioning");
  expect(
    ops.indexOf("GetBucketVersioning", setAt + 1),
    `enableVersioning sent ${ops.join(", ") || "nothing"}: after PutBucketVersioning, read it back with GetBucketVersioning until it says "Enabled"`,
  ).toBeGreaterThan(setAt);

  await put(bucket, "todo.txt", "first");
  await put(bucket, "todo.txt", "second");
  const { Versions = [] } = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "todo.txt" }));
  expect(Versions.length, `after two puts of todo.txt the bucket holds: ${await holds(bucket)}`).toBe(2);
});

// ── Step 10 ─────────────────────────────────────────────────────────────────────────────────────

test("step 10: getObjectVersion reads an old version by its VersionId", async () => {
  const bucket = await newBucket({ versioned: true });
  const first = await put(bucket, "config.json", '{"color":"red"}');
  const second = await put(bucket, "config.json", '{"color":"blue"}');

  const old = await call("getObjectVersion", bucket, lesson.getObjectVersion(s3, bucket, "config.json", first.VersionId!));
  expect(old, `version ${first.VersionId} is the first put; pass VersionId to GetObjectCommand`).toBe('{"color":"red"}');
  const latest = await call("getObjectVersion", bucket, lesson.getObjectVersion(s3, bucket, "config.json", second.VersionId!));
  expect(latest, `version ${second.VersionId} is the second put`).toBe('{"color":"blue"}');
});

// ── When it fails: scripted faults (the talk's "todo puede fallar") ─────────────────────────────

test("step 6: emptyAndDeleteBucket sends again the keys DeleteObjects reports in Errors", async () => {
  const bucket = await newBucket({ versioned: true });
  for (const body of ["v1", "v2", "v3"]) await put(bucket, "notes.txt", body);
  await put(bucket, "photos/cat.jpg", "meow");
  const before = await holds(bucket);
  // The first two DeleteObjects answer 200 with half of their keys in Errors, not deleted.
  const faults = injectFaults([{ service: "S3", operation: "DeleteObjects", fault: "partial-failure", times: 2 }]);

  const deleted = await call("emptyAndDeleteBucket", bucket, lesson.emptyAndDeleteBucket(s3, bucket, { batchSize: 2 }));
  expect(faults.injected.length, "the scripted partial failures were injected").toBe(2);
  await gone(bucket, `${before}; DeleteObjects reported some keys in Errors (${faults.injected.map(describeFault).join("; ")}): send those again`);
  expect(deleted, "emptyAndDeleteBucket returns how many versions it deleted, each counted once").toBe(4);
});

test("step 6: emptyAndDeleteBucket survives throttling and a server error on the way", async () => {
  const bucket = await newBucket({ versioned: true });
  await put(bucket, "a.txt", "a");
  await put(bucket, "b.txt", "b");
  const before = await holds(bucket);
  // One attempt of each fails; the SDK retries them (the workshop's clients make 3 attempts).
  injectFaults([
    { service: "S3", operation: "ListObjectVersions", fault: "throttle", times: 1 },
    { service: "S3", operation: "DeleteObjects", fault: "server-error", times: 1 },
    { service: "S3", operation: "DeleteBucket", fault: "throttle", times: 1 },
  ]);
  await call("emptyAndDeleteBucket", bucket, lesson.emptyAndDeleteBucket(s3, bucket));
  await gone(bucket, before);
});

test("step 8: a part that fails once is retried, and the upload completes", async () => {
  const bucket = await newBucket();
  const faults = injectFaults([{ service: "S3", operation: "UploadPart", fault: "server-error", times: 1 }]);
  await call("uploadLargeObject", bucket, lesson.uploadLargeObject(s3, { bucket, key: "retried.bin", body: Buffer.alloc(6 * MiB, "r") }));
  expect(faults.injected.length, "one UploadPart attempt failed").toBe(1);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "retried.bin" }));
  expect(head.ContentLength, "the object is whole, although one part failed once").toBe(6 * MiB);
});

test("step 8: a part that keeps failing fails the upload, and the upload is aborted", async () => {
  const bucket = await newBucket();
  // Every attempt of every UploadPart fails: no part can get through the SDK's retries.
  injectFaults([{ service: "S3", operation: "UploadPart", fault: "server-error" }]);
  const outcome = await lesson
    .uploadLargeObject(s3, { bucket, key: "doomed.bin", body: Buffer.alloc(6 * MiB, "d") })
    .then(
      () => "it said the upload succeeded",
      (err: Error) => (err instanceof NotImplementedError ? Promise.reject(err) : "failed"),
    );
  expect(outcome, "uploadLargeObject must fail (reject) when a part cannot be uploaded").toBe("failed");
  const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  expect(
    Uploads.map((u) => u.Key),
    "an unfinished multipart upload keeps its parts, billed, until aborted: let Upload abort it (leavePartsOnError false)",
  ).toEqual([]);
});

test("step 3: putObject and getObject survive throttling (the SDK retries, the code needs nothing more)", async () => {
  const bucket = await newBucket();
  injectFaults([
    { service: "S3", operation: "PutObject", fault: "throttle", times: 1 },
    { service: "S3", operation: "GetObject", fault: "throttle", times: 1 },
  ]);
  await call("putObject", bucket, lesson.putObject(s3, { bucket, key: "slow.txt", body: "down", contentType: "text/plain" }));
  const got = await call("getObject", bucket, lesson.getObject(s3, bucket, "slow.txt"));
  expect(got?.body, "the body read back after a throttled put and get").toBe("down");
});

// ── The whole lesson ────────────────────────────────────────────────────────────────────────────

test("lesson: nothing of this run is left behind", async () => {
  // Every test's bucket is removed after it. Listing buckets is eventually consistent on AWS: poll.
  let left: string[] = [];
  await waitFor(
    "the buckets of this run to be gone",
    async () => {
      const { Buckets = [] } = await s3.send(new ListBucketsCommand({ Prefix: RUN_PREFIX }));
      left = Buckets.map((b) => b.Name!).filter((name) => name.startsWith(RUN_PREFIX));
      return left.length === 0 || undefined;
    },
    { timeoutMs: 8000, intervalMs: 500 },
  ).catch(() => {
    throw new Error(`Buckets of this run still in the emulator: ${left.join(", ")}`);
  });
});
