import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { expect, test } from "vitest";
import { createClient, loadLesson, uniqueName } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("04-s3");
const s3 = createClient(S3Client);

test("createBucket makes a bucket", async () => {
  const bucket = uniqueName("t");
  await lesson.createBucket(s3, bucket);
  await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  await lesson.deleteBucket(s3, bucket);
});
