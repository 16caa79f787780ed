// A request the emulator cannot read is reported as such: the operation, the parameter and the
// shape AWS expects (from the SDK's schema), instead of "XML parse error: mismatched tags".
import { PutBucketTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { expect, test } from "vitest";
import { createClient, uniqueName } from "../testing";

test("TagSet beside Tagging instead of inside it: the verdict names the parameter and where it belongs", async () => {
  const s3 = createClient(S3Client);
  // No bucket is needed: the emulator fails on the request's body before it looks for one.
  const wrong = { Bucket: uniqueName("malformed"), TagSet: [{ Key: "workshop", Value: "no-toca-boton" }] } as never;
  const err = (await s3.send(new PutBucketTaggingCommand(wrong)).catch((e: Error) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe("MalformedRequestError");
  expect(err.message).toContain("The emulator could not read the S3 PutBucketTagging request");
  expect(err.message).toContain("TagSet is not a parameter of PutBucketTagging: it belongs inside Tagging, as Tagging: { TagSet: [{ Key: string, Value: string }] }.");
  expect(err.message).toContain("Tagging is missing");
});
