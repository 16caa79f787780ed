// A simulated attendee, for the room's test and `npm run bench`: joins the room like
// `npm start -- join` does, then runs lesson 04's reference solution through the door with their
// own credentials, step by step, as the lesson's check would, and says what they can see.
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import * as lesson from "../../solutions/04-s3/solution";
import { clientConfig } from "../clients";
import { joinRoom } from "./attendee";
import type { JoinedRoom } from "./joined";

export interface SimulatedRun {
  attendee: JoinedRoom;
  ok: boolean;
  /** The first step that failed, and why. */
  failure?: string;
  ms: number;
  /** The buckets the attendee's ListBuckets shows after the run. */
  buckets: string[];
  /** The bucket left in the room (for `classroom end` to remove). */
  bucket: string;
}

export function s3For(room: JoinedRoom): S3Client {
  return new S3Client({ ...clientConfig({ ...process.env, AWS_ENDPOINT_URL: room.endpoint }), credentials: { accessKeyId: room.accessKeyId, secretAccessKey: room.secretAccessKey } });
}

export async function simulateJoin(joinCode: string, name: string): Promise<JoinedRoom> {
  return joinRoom(joinCode, name);
}

/** Lesson 04's solution, step by step, in the attendee's own account. */
export async function simulateLesson04(room: JoinedRoom, options: { largeUpload?: boolean } = {}): Promise<SimulatedRun> {
  const s3 = s3For(room);
  const started = performance.now();
  const bucket = `nt-s3-${room.id}-${Date.now().toString(36)}`;
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  let failure: string | undefined;
  try {
    await step("step 1 createBucket", () => lesson.createBucket(s3, bucket));
    await step("step 2 putObject", () => lesson.putObject(s3, { bucket, key: "docs/hello.txt", body: `¡Hola, ${room.name}!`, contentType: "text/plain", metadata: { who: room.id } }));
    const got = await step("step 3 getObject", () => lesson.getObject(s3, bucket, "docs/hello.txt"));
    if (got.body !== `¡Hola, ${room.name}!` || got.metadata.who !== room.id) throw new Error(`step 3 getObject read ${JSON.stringify(got)}`);
    for (const key of ["a.txt", "b.txt", "c.txt"]) await lesson.putObject(s3, { bucket, key, body: key, contentType: "text/plain" });
    const listing = await step("step 4 listObjects", () => lesson.listObjects(s3, bucket, { pageSize: 2 }));
    if (listing.keys.length !== 4 || listing.pages !== 2) throw new Error(`step 4 listObjects saw ${listing.keys.join(", ")} in ${listing.pages} pages`);
    const url = await step("step 5 presignGetUrl", () => lesson.presignGetUrl(s3, bucket, "a.txt", 60));
    const fetched = await fetch(url);
    if (fetched.status !== 200 || (await fetched.text()) !== "a.txt") throw new Error(`step 5 the presigned URL answered ${fetched.status}`);
    if (options.largeUpload !== false) {
      const { etag } = await step("step 6 uploadLargeObject", () => lesson.uploadLargeObject(s3, { bucket, key: "talk.bin", body: Buffer.alloc(6 * lesson.MiB, 7) }));
      if (!/-2"?$/.test(etag)) throw new Error(`step 6 the ETag ${etag} is not a two-part upload's`);
    }
    await step("step 7 enableVersioning", () => lesson.enableVersioning(s3, bucket));
    const first = await lesson.putObject(s3, { bucket, key: "todo.txt", body: "first", contentType: "text/plain" });
    await lesson.putObject(s3, { bucket, key: "todo.txt", body: "second", contentType: "text/plain" });
    const versions = await step("step 8 listObjectVersions", () => lesson.listObjectVersions(s3, bucket, { prefix: "todo.txt", pageSize: 1 }));
    if (versions.length !== 2) throw new Error(`step 8 listObjectVersions saw ${versions.length} versions of todo.txt`);
    const old = await step("step 9 getObjectVersion", () => lesson.getObjectVersion(s3, bucket, "todo.txt", first.versionId!));
    if (old !== "first") throw new Error(`step 9 getObjectVersion read ${old}`);
    // Step 10 (emptyAndDeleteBucket) on a second bucket: the first stays for `classroom end`.
    const spare = `${bucket}-b`;
    await lesson.createBucket(s3, spare);
    await lesson.putObject(s3, { bucket: spare, key: "x", body: "x", contentType: "text/plain" });
    await step("step 10 emptyAndDeleteBucket", () => lesson.emptyAndDeleteBucket(s3, spare, { batchSize: 2 }));
  } catch (err) {
    failure = (err as Error).message;
  }
  const ms = Math.round(performance.now() - started);
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  return { attendee: room, ok: failure === undefined, failure, ms, buckets: Buckets.map((b) => b.Name!), bucket };
}
