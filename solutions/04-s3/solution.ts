import { CreateBucketCommand, DeleteBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { createClient, runMain, uniqueName } from "../../workshop/lesson";

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export async function main(): Promise<void> {
  const s3 = createClient(S3Client);
  const bucket = uniqueName("demo");
  await createBucket(s3, bucket);
  console.log("created", bucket);
  await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  await deleteBucket(s3, bucket);
  console.log("deleted", bucket);
}

runMain(import.meta.url, main);
