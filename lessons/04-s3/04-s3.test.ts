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
  say,
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

/** What the bucket holds, in words, for failure messages: "a.txt, b.txt (delete marker)" (in the learner's language). */
async function holds(bucket: string): Promise<string> {
  try {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const entries = [
      ...(page.Versions ?? []).map((v) =>
        v.VersionId && v.VersionId !== "null"
          ? say(`${v.Key} (version ${v.VersionId.slice(0, 8)}…)`, `${v.Key} (versión ${v.VersionId.slice(0, 8)}…)`)
          : v.Key!,
      ),
      ...(page.DeleteMarkers ?? []).map((m) => say(`${m.Key} (delete marker)`, `${m.Key} (marcador de eliminación)`)),
    ];
    return entries.length ? entries.join(", ") : say("nothing (it is empty)", "nada (está vacío)");
  } catch (err) {
    if (isMissing(err)) return say("nothing: the bucket does not exist", "nada: el bucket no existe");
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
    const held = await holds(bucket);
    if (err instanceof WaitedTooLongError) {
      throw new Error(
        say(
          `${err.message} If it loops over pages, does each request pass on the marker or token of the answer before it?\n` +
            `The bucket ${bucket} holds: ${held}`,
          `${err.message} Si recorre páginas, ¿cada solicitud pasa el marcador o el token de la respuesta anterior?\n` +
            `El bucket ${bucket} tiene: ${held}`,
        ),
      );
    }
    const e = err as Error;
    throw new Error(
      say(`${what} threw ${e.name}: ${e.message}\nThe bucket ${bucket} holds: ${held}`, `${what} lanzó ${e.name}: ${e.message}\nEl bucket ${bucket} tiene: ${held}`),
      { cause: err },
    );
  }
}

/** The calls the lesson's code made, in a recording, as "Operation {input}" lines for messages. */
function sent(calls: RecordedCall[]): string {
  return calls.length ? calls.map((c) => `${c.operation} ${JSON.stringify(c.input)}`).join("; ") : say("nothing", "nada");
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

test(say("step 1: createBucket makes a bucket that answers, tagged as the workshop's", "step 1: createBucket crea un bucket que responde, con las etiquetas del taller"), async () => {
  const bucket = bucketName();
  const rec = recordCalls();
  await call("createBucket", bucket, lesson.createBucket(s3, bucket));
  rec.stop();
  // Creating a bucket is eventually consistent on AWS (the emulator answers at once): wait for it.
  const ops = rec.calls.filter((c) => c.service === "S3").map((c) => c.operation);
  expect(
    ops.indexOf("HeadBucket", ops.indexOf("CreateBucket") + 1),
    say(
      `createBucket sent ${ops.join(", ") || "nothing"}: after CreateBucket, wait until the bucket answers (waitUntilBucketExists polls HeadBucket)`,
      `createBucket mandó ${ops.join(", ") || "nada"}: después de CreateBucket, esperá a que el bucket responda (waitUntilBucketExists consulta HeadBucket una y otra vez)`,
    ),
  ).toBeGreaterThan(ops.indexOf("CreateBucket"));

  const answers = say("it answers", "responde");
  const head = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => answers,
    (err: Error) => `${err.name}`,
  );
  expect(head, say(`HeadBucket ${bucket} after createBucket`, `HeadBucket ${bucket} después de createBucket`)).toBe(answers);

  const tagSet = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket })).then(
    (r) => r.TagSet ?? [],
    () => [],
  );
  const tags = Object.fromEntries(tagSet.map((t) => [t.Key, t.Value]));
  expect(
    tags,
    say(
      `the bucket's tags are ${JSON.stringify(tags)}: tag it with PutBucketTaggingCommand and workshopTags()`,
      `las etiquetas del bucket son ${JSON.stringify(tags)}: etiquetalo con PutBucketTaggingCommand y workshopTags()`,
    ),
  ).toMatchObject({
    workshop: "no-toca-boton",
    "workshop-run": RUN_ID,
  });
});

// ── Steps 2 and 3 ───────────────────────────────────────────────────────────────────────────────

test(say("step 2: putObject stores the body, the content type and the metadata", "step 2: putObject guarda el cuerpo, el tipo de contenido y los metadatos"), async () => {
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
    const held = await holds(bucket);
    throw new Error(say(`Expected an object with the key "${key}", but the bucket holds: ${held}`, `Se esperaba un objeto con la clave "${key}", pero el bucket tiene: ${held}`));
  });
  expect(await stored.Body!.transformToString(), say("the stored body", "el cuerpo guardado")).toBe("¡Hola, PyCon!");
  expect(stored.ContentType, say("the stored content type (ContentType)", "el tipo de contenido guardado (ContentType)")).toBe("text/plain; charset=utf-8");
  expect(stored.Metadata, say("the stored metadata (Metadata)", "los metadatos guardados (Metadata)")).toEqual({ talk: "no toca boton", year: "2012" });
  expect(result?.etag, say("putObject should return the ETag that S3 answered", "putObject tiene que devolver el ETag con el que respondió S3")).toBe(stored.ETag);
});

test(say("step 3: getObject reads the body, the content type and the metadata back", "step 3: getObject lee de vuelta el cuerpo, el tipo de contenido y los metadatos"), async () => {
  const bucket = await newBucket();
  await put(bucket, "config/settings.json", '{"region":"sa-east-1"}', { contentType: "application/json", metadata: { owner: "fruss" } });

  const rec = recordCalls();
  const got = await call("getObject", bucket, lesson.getObject(s3, bucket, "config/settings.json"));
  rec.stop();
  expect(got?.body, say("the body, as text (Body.transformToString())", "el cuerpo, como texto (Body.transformToString())")).toBe('{"region":"sa-east-1"}');
  expect(got?.contentType, say("the content type", "el tipo de contenido")).toBe("application/json");
  expect(got?.metadata, say("the metadata", "los metadatos")).toEqual({ owner: "fruss" });

  // S3 keeps a checksum of every object (the SDK sends a CRC32 with each upload).
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "config/settings.json", ChecksumMode: "ENABLED" }));
  expect(got?.checksumCRC32, say("the CRC32 checksum S3 stored for the object (ask GetObject for it with ChecksumMode)", "la suma de comprobación CRC32 que S3 guardó para el objeto (pedísela a GetObject con ChecksumMode)")).toBe(head.ChecksumCRC32);
  expect(got?.checksumCRC32, say("the checksum: S3 returns it only when GetObject asks for it", "la suma de comprobación: S3 la devuelve solo cuando GetObject la pide")).toBeTruthy();
  // moto returns the checksum even when not asked; AWS only with ChecksumMode "ENABLED".
  // Any read that asks for it counts: GetObject or HeadObject with ChecksumMode, or GetObjectAttributes.
  const asked = [...lessonCalls(rec, "GetObject"), ...lessonCalls(rec, "HeadObject")].some((c) => c.input.ChecksumMode === "ENABLED") ||
    lessonCalls(rec, "GetObjectAttributes").some((c) => (c.input.ObjectAttributes as string[] | undefined)?.includes("Checksum"));
  expect(
    asked,
    say(
      `getObject sent ${sent(rec.calls)}: on AWS only ChecksumMode "ENABLED" brings the checksum back`,
      `getObject mandó ${sent(rec.calls)}: en AWS solo ChecksumMode "ENABLED" trae de vuelta la suma de comprobación`,
    ),
  ).toBe(true);
});

// ── Step 4 ──────────────────────────────────────────────────────────────────────────────────────

test(say("step 4: listObjects reads every page, not just the first", "step 4: listObjects lee todas las páginas, no solo la primera"), async () => {
  const bucket = await newBucket();
  const keys = ["a.txt", "b.txt", "c.txt", "logs/1.log", "logs/2.log", "photos/cat.jpg", "z.txt"];
  await Promise.all(keys.map((key) => put(bucket, key, key)));

  const listing = await call("listObjects", bucket, lesson.listObjects(s3, bucket, { pageSize: 2 }));
  const got = listing?.keys ?? [];
  const held = await holds(bucket);
  expect(
    got,
    say(
      `listObjects(pageSize 2) returned ${got.length} of ${keys.length} keys; the bucket holds: ${held}`,
      `listObjects(pageSize 2) devolvió ${got.length} de ${keys.length} claves; el bucket tiene: ${held}`,
    ),
  ).toEqual(keys);
  expect(listing?.pages, say("7 keys, 2 per page, take 4 pages: pass pageSize to paginateListObjectsV2 and count the pages", "7 claves, de a 2 por página, son 4 páginas: pasale pageSize a paginateListObjectsV2 y contá las páginas")).toBe(4);
});

test(say("step 4: listObjects with a prefix and a delimiter shows folders that are not there", "step 4: listObjects con un prefijo y un delimitador muestra carpetas que no existen"), async () => {
  const bucket = await newBucket();
  const keys = ["photos/2024/cat.jpg", "photos/2024/dog.jpg", "photos/2025/owl.jpg", "photos/index.html", "notes.txt"];
  await Promise.all(keys.map((key) => put(bucket, key, key)));

  const listing = await call(
    "listObjects",
    bucket,
    lesson.listObjects(s3, bucket, { prefix: "photos/", delimiter: "/", pageSize: 2 }),
  );
  const held = await holds(bucket);
  const seen = say(
    `listObjects returned keys [${listing?.keys.join(", ")}] and folders [${listing?.folders.join(", ")}]; the bucket holds: ${held}`,
    `listObjects devolvió las claves [${listing?.keys.join(", ")}] y las carpetas [${listing?.folders.join(", ")}]; el bucket tiene: ${held}`,
  );
  expect(listing?.keys, say(`only the keys right under "photos/" (Contents). ${seen}`, `solo las claves que están justo debajo de "photos/" (Contents). ${seen}`)).toEqual([
    "photos/index.html",
  ]);
  expect(listing?.folders, say(`the "folders" (CommonPrefixes). ${seen}`, `las "carpetas" (CommonPrefixes). ${seen}`)).toEqual(["photos/2024/", "photos/2025/"]);
});

// ── Step 5 ──────────────────────────────────────────────────────────────────────────────────────

test(say("step 5: listObjectVersions lists every version and delete marker, page after page", "step 5: listObjectVersions lista todas las versiones y los marcadores de eliminación, página tras página"), async () => {
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
  const held = await holds(bucket);
  expect(
    sorted(all ?? []),
    say(
      `listObjectVersions(pageSize 2) returned ${all?.length} entries; the bucket holds: ${held}. ` +
        `Follow NextKeyMarker and NextVersionIdMarker while IsTruncated, and include the DeleteMarkers`,
      `listObjectVersions(pageSize 2) devolvió ${all?.length} entradas; el bucket tiene: ${held}. ` +
        `Seguí NextKeyMarker y NextVersionIdMarker mientras IsTruncated sea true, e incluí los DeleteMarkers`,
    ),
  ).toEqual(sorted(expected));

  // A page can end in the middle of a key's versions: on AWS a KeyMarker without its VersionIdMarker
  // starts after every version of that key, and skips the rest of them. (moto forgives it.)
  const requests = lessonCalls(rec, "ListObjectVersions");
  expect(
    requests.filter((c) => c.input.KeyMarker !== undefined && c.input.VersionIdMarker === undefined).map((c) => c.input),
    say(
      `listObjectVersions sent ${sent(requests)}: pass both NextKeyMarker and NextVersionIdMarker on`,
      `listObjectVersions mandó ${sent(requests)}: pasá a la solicitud siguiente tanto NextKeyMarker como NextVersionIdMarker`,
    ),
  ).toEqual([]);

  const onlyA = await call("listObjectVersions", bucket, lesson.listObjectVersions(s3, bucket, { prefix: "a.txt" }));
  expect(sorted(onlyA ?? []), say(`listObjectVersions with prefix "a.txt" (Prefix)`, `listObjectVersions con el prefijo "a.txt" (Prefix)`)).toEqual(sorted(expected.slice(0, 3)));
});

// ── Step 6 ──────────────────────────────────────────────────────────────────────────────────────

/** Polls until HeadBucket says the bucket is gone (a deleted bucket may still answer for a moment on AWS). */
async function gone(bucket: string, before: string): Promise<void> {
  let last = "";
  await waitFor(
    say(`${bucket} to be gone`, `el borrado de ${bucket}`),
    () =>
      s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        async () => {
          const held = await holds(bucket);
          last = say(`it still exists and holds: ${held}`, `todavía existe y tiene: ${held}`);
          return undefined;
        },
        (err: Error) => {
          if (isMissing(err)) return true;
          last = say(`HeadBucket answers ${err.name}: ${err.message}`, `HeadBucket responde ${err.name}: ${err.message}`);
          return undefined;
        },
      ),
    { timeoutMs: 8000, intervalMs: 250 },
  ).catch((err: Error) => {
    throw new Error(
      say(
        `${bucket} held ${before}. After emptyAndDeleteBucket ${last || "HeadBucket never said it was gone"}. (${err.message})`,
        `${bucket} tenía ${before}. Después de emptyAndDeleteBucket, ${last || "HeadBucket nunca dijo que ya no existía"}. (${err.message})`,
      ),
    );
  });
}

test(say("step 6: emptyAndDeleteBucket removes every version, delete marker and the bucket", "step 6: emptyAndDeleteBucket borra todas las versiones, los marcadores de eliminación y el bucket"), async () => {
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
  expect(
    deleted,
    say(
      `emptyAndDeleteBucket returns how many versions and delete markers it deleted; the bucket held ${before}`,
      `emptyAndDeleteBucket devuelve cuántas versiones y marcadores de eliminación borró; el bucket tenía ${before}`,
    ),
  ).toBe(6);
  // AWS refuses a DeleteObjects of more than 1,000 keys, and a delete without a VersionId in a
  // versioned bucket only adds a delete marker. Any number of calls is fine; each within the batch.
  const deletes = lessonCalls(rec, "DeleteObjects");
  const objects = deletes.map((c) => ((c.input.Delete as { Objects?: { Key?: string; VersionId?: string }[] })?.Objects ?? []));
  expect(
    objects.filter((o) => o.length > 2).length,
    say(
      `with batchSize 2 each DeleteObjects holds at most 2 keys; it sent ${sent(deletes)}`,
      `con batchSize 2, cada DeleteObjects lleva 2 claves como máximo; mandó ${sent(deletes)}`,
    ),
  ).toBe(0);
  expect(
    objects.flat().filter((o) => !o.VersionId).length,
    say(`every key deleted with its VersionId; it sent ${sent(deletes)}`, `cada clave se borra con su VersionId; mandó ${sent(deletes)}`),
  ).toBe(0);
});

// ── Step 7 ──────────────────────────────────────────────────────────────────────────────────────

test(say("step 7: presignGetUrl makes a URL that a plain fetch() downloads", "step 7: presignGetUrl arma una URL que un simple fetch() descarga"), async () => {
  const bucket = await newBucket();
  await put(bucket, "reports/q3.csv", "quarter,total\nq3,42\n", { contentType: "text/csv" });

  const url = await call("presignGetUrl", bucket, lesson.presignGetUrl(s3, bucket, "reports/q3.csv", 120));
  const parsed = new URL(url);
  // moto (and LocalStack by default) do not check the signature, so the test checks that it is there.
  expect(
    parsed.searchParams.has("X-Amz-Signature"),
    say(
      `a presigned URL carries its signature in the query string (X-Amz-Signature), got ${parsed.origin}${parsed.pathname}?…`,
      `una URL prefirmada lleva su firma en la cadena de consulta (X-Amz-Signature); llegó ${parsed.origin}${parsed.pathname}?…`,
    ),
  ).toBe(true);
  expect(parsed.searchParams.get("X-Amz-Expires"), say("the URL should expire in 120 seconds (X-Amz-Expires)", "la URL tiene que vencer a los 120 segundos (X-Amz-Expires)")).toBe("120");
  expect(
    parsed.pathname.endsWith("/reports/q3.csv") || parsed.hostname.startsWith(`${bucket}.`),
    say(`the URL names the object, got ${parsed.origin}${parsed.pathname}`, `la URL nombra el objeto; llegó ${parsed.origin}${parsed.pathname}`),
  ).toBe(true);

  const response = await fetch(url);
  const request = `GET ${parsed.origin}${parsed.pathname}?…`;
  expect(response.status, say(request, request)).toBe(200);
  expect(await response.text(), say("the downloaded body", "el cuerpo descargado")).toBe("quarter,total\nq3,42\n");
});

// ── Step 8 ──────────────────────────────────────────────────────────────────────────────────────

test(say("lesson: partSizeFor keeps any object S3 accepts within 10,000 parts of at least 5 MiB", "lesson: partSizeFor mantiene cualquier objeto que S3 acepte dentro de 10.000 partes de 5 MiB como mínimo"), () => {
  const GiB = 1024 * MiB;
  expect(lesson.partSizeFor(6 * MiB), say("6 MiB: parts of 5 MiB, the smallest S3 allows", "6 MiB: partes de 5 MiB, las más chicas que S3 permite")).toBe(5 * MiB);
  for (const size of [48 * GiB, 50 * GiB, 5 * 1024 * GiB]) {
    const part = lesson.partSizeFor(size);
    expect(part, say(`parts for ${size / GiB} GiB`, `partes para ${size / GiB} GiB`)).toBeGreaterThanOrEqual(5 * MiB);
    expect(Math.ceil(size / part), say(`${size / GiB} GiB in parts of ${part} bytes`, `${size / GiB} GiB en partes de ${part} bytes`)).toBeLessThanOrEqual(10_000);
  }
});

test(say("step 8: uploadLargeObject uploads 6 MiB in two parts and reports progress", "step 8: uploadLargeObject sube 6 MiB en dos partes e informa el progreso"), async () => {
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
    const held = await holds(bucket);
    throw new Error(say(`Expected videos/talk.bin in the bucket, but it holds: ${held}`, `Se esperaba videos/talk.bin en el bucket, pero tiene: ${held}`));
  });
  expect(head.ContentLength, say("the stored size in bytes", "el tamaño guardado, en bytes")).toBe(size);
  // A multipart object's ETag ends in "-<number of parts>": 5 MiB + 1 MiB makes 2.
  expect(head.ETag, say("the ETag of an object uploaded in 2 parts ends in -2: use Upload from @aws-sdk/lib-storage", "el ETag de un objeto subido en 2 partes termina en -2: usá Upload de @aws-sdk/lib-storage")).toMatch(/-2"?$/);

  const loaded = Math.max(0, ...progress.map((p) => p.loaded ?? 0));
  const parts = [...new Set(progress.map((p) => p.part))].sort();
  expect(
    progress.length,
    say(
      `onProgress was called ${progress.length} times: pass it to upload.on("httpUploadProgress", …)`,
      `onProgress se llamó ${progress.length} veces: pasáselo a upload.on("httpUploadProgress", …)`,
    ),
  ).toBeGreaterThanOrEqual(2);
  expect(parts, say("progress should be reported for parts 1 and 2", "tiene que informarse el progreso de las partes 1 y 2")).toEqual([1, 2]);
  expect(loaded, say("the last progress event should say all 6 MiB were sent", "el último evento de progreso tiene que decir que se mandaron los 6 MiB")).toBe(size);
});

test(say("step 8: uploadLargeObject takes a stream of a given size, as it would read a big file", "step 8: uploadLargeObject acepta un stream de un tamaño dado, como al leer un archivo grande"), async () => {
  const bucket = await newBucket();
  const size = 6 * MiB;
  const chunk = Buffer.alloc(MiB, "stream ");
  const body = Readable.from((function* () {
    for (let i = 0; i < 6; i++) yield chunk;
  })());

  await call("uploadLargeObject", bucket, lesson.uploadLargeObject(s3, { bucket, key: "streamed.bin", body, size }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "streamed.bin" })).catch(async (err) => {
    if (!isMissing(err)) throw err;
    const held = await holds(bucket);
    throw new Error(say(`Expected streamed.bin in the bucket, but it holds: ${held}`, `Se esperaba streamed.bin en el bucket, pero tiene: ${held}`));
  });
  expect(head.ContentLength, say("the stored size of the streamed object", "el tamaño guardado del objeto que llegó como stream")).toBe(size);
  expect(head.ETag, say("a 6 MiB stream in parts of partSizeFor(size) makes two parts", "un stream de 6 MiB en partes de partSizeFor(size) da dos partes")).toMatch(/-2"?$/);
});

// ── Step 9 ──────────────────────────────────────────────────────────────────────────────────────

test(say("step 9: enableVersioning turns versioning on and waits until S3 says it is on", "step 9: enableVersioning activa el control de versiones y espera hasta que S3 diga que está activo"), async () => {
  const bucket = await newBucket();
  const rec = recordCalls();
  await call("enableVersioning", bucket, lesson.enableVersioning(s3, bucket));
  rec.stop();

  const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  expect(Status, say("GetBucketVersioning's Status (undefined means versioning was never turned on)", "el Status de GetBucketVersioning (undefined quiere decir que el control de versiones nunca se activó)")).toBe("Enabled");
  // On AWS the change takes a while to propagate: the code reads it back before anyone writes.
  const ops = rec.calls.map((c) => c.operation);
  const setAt = ops.indexOf("PutBucketVersioning");
  expect(
    ops.indexOf("GetBucketVersioning", setAt + 1),
    say(
      `enableVersioning sent ${ops.join(", ") || "nothing"}: after PutBucketVersioning, read it back with GetBucketVersioning until it says "Enabled"`,
      `enableVersioning mandó ${ops.join(", ") || "nada"}: después de PutBucketVersioning, leé la configuración con GetBucketVersioning hasta que diga "Enabled"`,
    ),
  ).toBeGreaterThan(setAt);

  await put(bucket, "todo.txt", "first");
  await put(bucket, "todo.txt", "second");
  const { Versions = [] } = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "todo.txt" }));
  const held = await holds(bucket);
  expect(Versions.length, say(`after two puts of todo.txt the bucket holds: ${held}`, `después de dos puts de todo.txt el bucket tiene: ${held}`)).toBe(2);
});

// ── Step 10 ─────────────────────────────────────────────────────────────────────────────────────

test(say("step 10: getObjectVersion reads an old version by its VersionId", "step 10: getObjectVersion lee una versión vieja por su VersionId"), async () => {
  const bucket = await newBucket({ versioned: true });
  const first = await put(bucket, "config.json", '{"color":"red"}');
  const second = await put(bucket, "config.json", '{"color":"blue"}');

  const old = await call("getObjectVersion", bucket, lesson.getObjectVersion(s3, bucket, "config.json", first.VersionId!));
  expect(old, say(`version ${first.VersionId} is the first put; pass VersionId to GetObjectCommand`, `la versión ${first.VersionId} es el primer put; pasale VersionId a GetObjectCommand`)).toBe('{"color":"red"}');
  const latest = await call("getObjectVersion", bucket, lesson.getObjectVersion(s3, bucket, "config.json", second.VersionId!));
  expect(latest, say(`version ${second.VersionId} is the second put`, `la versión ${second.VersionId} es el segundo put`)).toBe('{"color":"blue"}');
});

// ── When it fails: scripted faults (the talk's "todo puede fallar") ─────────────────────────────

test(say("step 6: emptyAndDeleteBucket sends again the keys DeleteObjects reports in Errors", "step 6: emptyAndDeleteBucket vuelve a mandar las claves que DeleteObjects informa en Errors"), async () => {
  const bucket = await newBucket({ versioned: true });
  for (const body of ["v1", "v2", "v3"]) await put(bucket, "notes.txt", body);
  await put(bucket, "photos/cat.jpg", "meow");
  const before = await holds(bucket);
  // The first two DeleteObjects answer 200 with half of their keys in Errors, not deleted.
  const faults = injectFaults([{ service: "S3", operation: "DeleteObjects", fault: "partial-failure", times: 2 }]);

  const deleted = await call("emptyAndDeleteBucket", bucket, lesson.emptyAndDeleteBucket(s3, bucket, { batchSize: 2 }));
  expect(faults.injected.length, say("the scripted partial failures were injected", "se inyectaron las fallas parciales programadas")).toBe(2);
  const reported = faults.injected.map(describeFault).join("; ");
  await gone(
    bucket,
    say(
      `${before}; DeleteObjects reported some keys in Errors (${reported}): send those again`,
      `${before}; DeleteObjects informó algunas claves en Errors (${reported}): mandalas de nuevo`,
    ),
  );
  expect(deleted, say("emptyAndDeleteBucket returns how many versions it deleted, each counted once", "emptyAndDeleteBucket devuelve cuántas versiones borró, contando cada una una sola vez")).toBe(4);
});

test(say("step 6: emptyAndDeleteBucket survives throttling and a server error on the way", "step 6: emptyAndDeleteBucket sobrevive a una limitación (throttling) y a un error del servidor en el camino"), async () => {
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

test(say("step 8: a part that fails once is retried, and the upload completes", "step 8: una parte que falla una vez se reintenta, y la carga se completa"), async () => {
  const bucket = await newBucket();
  const faults = injectFaults([{ service: "S3", operation: "UploadPart", fault: "server-error", times: 1 }]);
  await call("uploadLargeObject", bucket, lesson.uploadLargeObject(s3, { bucket, key: "retried.bin", body: Buffer.alloc(6 * MiB, "r") }));
  expect(faults.injected.length, say("one UploadPart attempt failed", "falló un intento de UploadPart")).toBe(1);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "retried.bin" }));
  expect(head.ContentLength, say("the object is whole, although one part failed once", "el objeto está entero, aunque una parte falló una vez")).toBe(6 * MiB);
});

test(say("step 8: a part that keeps failing fails the upload, and the upload is aborted", "step 8: una parte que sigue fallando hace fallar la carga, y la carga se aborta"), async () => {
  const bucket = await newBucket();
  // Every attempt of every UploadPart fails: no part can get through the SDK's retries.
  injectFaults([{ service: "S3", operation: "UploadPart", fault: "server-error" }]);
  const failed = say("failed", "falló");
  const outcome = await lesson
    .uploadLargeObject(s3, { bucket, key: "doomed.bin", body: Buffer.alloc(6 * MiB, "d") })
    .then(
      () => say("it said the upload succeeded", "dijo que la carga salió bien"),
      (err: Error) => (err instanceof NotImplementedError ? Promise.reject(err) : failed),
    );
  expect(outcome, say("uploadLargeObject must fail (reject) when a part cannot be uploaded", "uploadLargeObject tiene que fallar (rechazar) cuando una parte no se puede subir")).toBe(failed);
  const { Uploads = [] } = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  expect(
    Uploads.map((u) => u.Key),
    say(
      "an unfinished multipart upload keeps its parts, billed, until aborted: let Upload abort it (leavePartsOnError false)",
      "una carga multiparte sin terminar conserva sus partes, que se cobran, hasta que se aborta: dejá que Upload la aborte (leavePartsOnError false)",
    ),
  ).toEqual([]);
});

test(say("step 3: putObject and getObject survive throttling (the SDK retries, the code needs nothing more)", "step 3: putObject y getObject sobreviven a la limitación (el SDK reintenta, el código no necesita nada más)"), async () => {
  const bucket = await newBucket();
  injectFaults([
    { service: "S3", operation: "PutObject", fault: "throttle", times: 1 },
    { service: "S3", operation: "GetObject", fault: "throttle", times: 1 },
  ]);
  await call("putObject", bucket, lesson.putObject(s3, { bucket, key: "slow.txt", body: "down", contentType: "text/plain" }));
  const got = await call("getObject", bucket, lesson.getObject(s3, bucket, "slow.txt"));
  expect(got?.body, say("the body read back after a throttled put and get", "el cuerpo leído de vuelta después de un put y un get limitados")).toBe("down");
});

// ── The whole lesson ────────────────────────────────────────────────────────────────────────────

test(say("lesson: nothing of this run is left behind", "lesson: no queda nada de esta corrida"), async () => {
  // Every test's bucket is removed after it. Listing buckets is eventually consistent on AWS: poll.
  let left: string[] = [];
  await waitFor(
    say("the buckets of this run to be gone", "el borrado de los buckets de esta corrida"),
    async () => {
      const { Buckets = [] } = await s3.send(new ListBucketsCommand({ Prefix: RUN_PREFIX }));
      left = Buckets.map((b) => b.Name!).filter((name) => name.startsWith(RUN_PREFIX));
      return left.length === 0 || undefined;
    },
    { timeoutMs: 8000, intervalMs: 500 },
  ).catch(() => {
    throw new Error(say(`Buckets of this run still in the emulator: ${left.join(", ")}`, `Buckets de esta corrida que siguen en el emulador: ${left.join(", ")}`));
  });
});
