import { createHash, createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteKeyPairCommand, DescribeKeyPairsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyTagsCommand,
  ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, uniqueName, type RecordedCall } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("01-security-keys");
const sts = createClient(STSClient);
const iam = createClient(IAMClient);
const ec2 = createClient(EC2Client);
const region = await sts.config.region();
const endpoint = lesson.stsEndpoint();

// ------------------------------------------------------------------------------------------------
// The tests' own set-up and clean-up, with the SDK directly, so that a test only depends on the TODO
// it checks, and everything is removed even when the lesson's code fails half-way.

/** A small policy for the tests' own users. */
const SAMPLE_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::t-bucket/*"] }],
};

const users = new Set<string>();
const policies = new Set<string>();
const keyPairs = new Set<string>();
let pemDir: string;

async function newUser(): Promise<{ userName: string; arn: string }> {
  const userName = uniqueName("t-user");
  users.add(userName);
  const { User } = await iam.send(new CreateUserCommand({ UserName: userName }));
  return { userName, arn: User!.Arn! };
}

async function newAccessKey(userName: string) {
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
}

async function accessKeyIds(userName: string): Promise<string[]> {
  const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return (AccessKeyMetadata ?? []).map((k) => k.AccessKeyId!);
}

async function userArn(userName: string): Promise<string> {
  return (await iam.send(new GetUserCommand({ UserName: userName }))).User!.Arn!;
}

function isNoSuchEntity(err: unknown): boolean {
  return (err as Error).name === "NoSuchEntity" || (err as Error).name === "NoSuchEntityException";
}

async function removeUser(userName: string): Promise<void> {
  try {
    for (const id of await accessKeyIds(userName)) {
      await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: id }));
    }
    const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    for (const policy of AttachedPolicies ?? []) {
      await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policy.PolicyArn! }));
      policies.add(policy.PolicyArn!);
    }
    await iam.send(new DeleteUserCommand({ UserName: userName }));
  } catch (err) {
    if (!isNoSuchEntity(err)) throw err;
  }
}

beforeAll(async () => {
  pemDir = await mkdtemp(join(tmpdir(), "nt-test-keys-"));
});

afterAll(async () => {
  for (const userName of users) await removeUser(userName);
  for (const policyArn of policies) {
    await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn })).catch((err) => {
      if (!isNoSuchEntity(err)) throw err;
    });
  }
  for (const keyName of keyPairs) await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
  await rm(pemDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------

describe("step 1: who am I", () => {
  test("step 1: getCallerIdentity answers with an account and an ARN in it", async () => {
    const me = await lesson.getCallerIdentity(sts);
    const direct = await sts.send(new GetCallerIdentityCommand({}));
    expect(me, "getCallerIdentity should return { account, arn, userId } from STS's answer").toEqual({
      account: direct.Account,
      arn: direct.Arn,
      userId: direct.UserId,
    });
    expect(me.account, "an AWS account id is 12 digits").toMatch(/^\d{12}$/);
    expect(me.arn, `the caller's ARN should name its account ${me.account}`).toContain(`::${me.account}:`);
  });
});

describe("IAM: a user of your own", () => {
  test("step 2: createUser makes a user tagged for the workshop", async () => {
    const userName = uniqueName("t-user");
    users.add(userName);
    const user = await lesson.createUser(iam, userName);
    expect(user.userName).toBe(userName);
    expect(user.arn, "createUser should return the ARN IAM gave the user").toBe(await userArn(userName));
    const { Tags } = await iam.send(new ListUserTagsCommand({ UserName: userName }));
    expect(Tags ?? [], `the user's tags are: ${JSON.stringify(Tags ?? [])}`).toContainEqual({
      Key: "workshop",
      Value: "no-toca-boton",
    });
  });

  test("step 3: readOnlyBucketPolicy lets the user list one bucket and read its objects, and nothing else", () => {
    const doc = lesson.readOnlyBucketPolicy("photos", "aws");
    const shown = JSON.stringify(doc);
    expect(doc.Version, "IAM policies use the language version 2012-10-17").toBe("2012-10-17");
    expect(allows(doc, "s3:ListBucket", "arn:aws:s3:::photos"), `listing the bucket should be allowed: ${shown}`).toBe(true);
    expect(allows(doc, "s3:GetObject", "arn:aws:s3:::photos/2012/pycon.jpg"), `reading an object should be allowed: ${shown}`).toBe(true);
    const forbidden: Array<[string, string]> = [
      ["s3:PutObject", "arn:aws:s3:::photos/2012/pycon.jpg"],
      ["s3:DeleteObject", "arn:aws:s3:::photos/2012/pycon.jpg"],
      ["s3:DeleteBucket", "arn:aws:s3:::photos"],
      ["s3:PutBucketPolicy", "arn:aws:s3:::photos"],
      ["s3:GetObject", "arn:aws:s3:::other-bucket/secret.txt"],
      ["s3:ListBucket", "arn:aws:s3:::other-bucket"],
      ["iam:CreateAccessKey", "arn:aws:iam::123456789012:user/anyone"],
    ];
    for (const [action, resource] of forbidden) {
      expect(allows(doc, action, resource), `least privilege: ${action} on ${resource} must not be allowed, but ${shown} allows it`).toBe(false);
    }
  });

  test("step 3: readOnlyBucketPolicy takes the partition it is given", () => {
    const doc = lesson.readOnlyBucketPolicy("photos", "aws-cn");
    expect(allows(doc, "s3:GetObject", "arn:aws-cn:s3:::photos/a.jpg"), JSON.stringify(doc)).toBe(true);
  });

  test("step 4: createAndAttachPolicy creates a managed policy with that document and attaches it to the user", async () => {
    const { userName } = await newUser();
    const document = {
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::t-bucket/*"] }],
    };
    const policyArn = await lesson.createAndAttachPolicy(iam, userName, uniqueName("t-policy"), document);
    policies.add(policyArn);
    const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    const attached = (AttachedPolicies ?? []).map((p) => p.PolicyArn);
    expect(attached, `the user has these policies attached: ${attached.join(", ") || "none"}`).toContain(policyArn);
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy!.DefaultVersionId! }),
    );
    expect(parsePolicyDocument(PolicyVersion!.Document!), "the policy IAM stored").toEqual(document);
    const { Tags } = await iam.send(new ListPolicyTagsCommand({ PolicyArn: policyArn }));
    expect(Tags ?? [], `the policy's tags are: ${JSON.stringify(Tags ?? [])}`).toContainEqual({ Key: "workshop", Value: "no-toca-boton" });
  });

  test("step 5: createAccessKey makes a key for the user and returns its secret", async () => {
    const { userName } = await newUser();
    const key = await lesson.createAccessKey(iam, userName);
    const ids = await accessKeyIds(userName);
    expect(ids, `IAM lists these keys for the user: ${ids.join(", ") || "none"}`).toEqual([key.accessKeyId]);
    expect(key.secretAccessKey, "the secret is only in CreateAccessKey's answer: return it").toBeTruthy();
  });

  test("step 6: stsClientFor builds a client that STS recognises as the new user", async () => {
    const { userName, arn } = await newUser();
    const key = await newAccessKey(userName);
    const client = lesson.stsClientFor(key);
    const identity = await client.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn, "with the user's access key, GetCallerIdentity should answer with the user's ARN (from IAM GetUser)").toBe(arn);
  });

  test("step 7: rotateAccessKey switches to a new key, deactivates the old one, then deletes it", async () => {
    const { userName, arn } = await newUser();
    const old = await newAccessKey(userName);
    const rec = recordCalls();
    let switchedAt = -1;
    const rotation = await lesson.rotateAccessKey(iam, userName, old.accessKeyId, async (key) => {
      switchedAt = rec.calls.length;
      const asNewKey = await stsAs(key).send(new GetCallerIdentityCommand({}));
      expect(asNewKey.Arn, "the key handed to switchTo should identify the user").toBe(arn);
    });
    rec.stop();
    const fresh = rotation.newKey;
    expect(fresh.accessKeyId, "rotation makes a new key").not.toBe(old.accessKeyId);
    const ids = await accessKeyIds(userName);
    expect(ids, `after rotating, IAM lists: ${ids.join(", ") || "no keys"}`).toEqual([fresh.accessKeyId]);
    if (rotation.oldKeyLastUsed !== undefined) {
      expect(rotation.oldKeyLastUsed, "oldKeyLastUsed is GetAccessKeyLastUsed's LastUsedDate").toBeInstanceOf(Date);
    }

    // AWS's order (IAM User Guide, "Update access keys"): new key, switch, check last use, Inactive, delete.
    // Other calls (listing the keys, say) may come anywhere in between.
    const lessonCalls = rec.calls.filter((c) => c.fromLesson);
    const shown = callList(lessonCalls);
    const index = (op: string, test: (input: Record<string, unknown>) => boolean = () => true) =>
      rec.calls.findIndex((c) => c.fromLesson && c.service === "IAM" && c.operation === op && c.ok && test(c.input));
    const aboutOld = (input: Record<string, unknown>) => input.AccessKeyId === old.accessKeyId;
    const created = index("CreateAccessKey");
    const lastUsed = index("GetAccessKeyLastUsed", aboutOld);
    const deactivated = index("UpdateAccessKey", (input) => aboutOld(input) && input.Status === "Inactive");
    const deleted = index("DeleteAccessKey", aboutOld);
    expect(created, `the new key comes from CreateAccessKey; the lesson sent:\n  ${shown}`).toBeGreaterThanOrEqual(0);
    expect(switchedAt, `switchTo is called with the new key, after CreateAccessKey; the lesson sent:\n  ${shown}`).toBeGreaterThan(created);
    expect(lastUsed, `GetAccessKeyLastUsed is asked about the old key; the lesson sent:\n  ${shown}`).toBeGreaterThanOrEqual(0);
    expect(deactivated, `the old key is set Inactive (UpdateAccessKey) after the switch; the lesson sent:\n  ${shown}`).toBeGreaterThanOrEqual(switchedAt);
    expect(deleted, `the old key is deleted only after it was deactivated; the lesson sent:\n  ${shown}`).toBeGreaterThan(deactivated);
    expect(lastUsed, `GetAccessKeyLastUsed comes before the delete; the lesson sent:\n  ${shown}`).toBeLessThan(deleted);

    // AWS refuses a deleted key (InvalidClientTokenId); the emulators answer with a default identity instead.
    // Either way, the old key no longer speaks for the user.
    const oldIdentity = await stsAs(old)
      .send(new GetCallerIdentityCommand({}))
      .then((answer) => answer.Arn, (err: Error) => err.name);
    expect(oldIdentity, "the deleted key must not identify the user any more").not.toBe(arn);
  });

  test("step 7: rotateAccessKey still rotates when IAM throttles a call once (the SDK retries it)", async () => {
    const { userName } = await newUser();
    const old = await newAccessKey(userName);
    injectFaults([
      { service: "IAM", operation: "UpdateAccessKey", fault: "throttle", times: 1, from: "lesson" },
      { service: "IAM", operation: "DeleteAccessKey", fault: "server-error", times: 1, from: "lesson" },
    ]);
    const { newKey } = await lesson.rotateAccessKey(iam, userName, old.accessKeyId, async () => {});
    const ids = await accessKeyIds(userName);
    expect(ids, `after rotating, IAM lists: ${ids.join(", ") || "no keys"}`).toEqual([newKey.accessKeyId]);
  });

  test("step 7: rotateAccessKey keeps the old key when the switch fails", async () => {
    const { userName } = await newUser();
    const old = await newAccessKey(userName);
    const outcome = await lesson
      .rotateAccessKey(iam, userName, old.accessKeyId, async () => {
        throw new Error("the application could not use the new key");
      })
      .then(
        () => "rotateAccessKey returned",
        (err: Error) => err,
      );
    if (outcome instanceof NotImplementedError) throw outcome;
    expect(String(outcome), "a failed switch should reach the caller as an error").toMatch(/could not use the new key/);
    const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    const oldKey = (AccessKeyMetadata ?? []).find((k) => k.AccessKeyId === old.accessKeyId);
    expect(oldKey?.Status, "until the application runs on the new key, the old key stays Active").toBe("Active");
  });
});

describe("signing a request by hand (stretch)", () => {
  test("step 9: signGetCallerIdentity signs an STS Query request with SigV4 and the key's secret", async () => {
    const key = { accessKeyId: "AKIAWORKSHOPEXAMPLE1", secretAccessKey: "not-a-real-secret-just-for-signing" };
    const signed = await lesson.signGetCallerIdentity(key, endpoint, region);
    expect(signed.method).toBe("POST");
    expect(new URLSearchParams(String(signed.body)).get("Action"), `the body is: ${String(signed.body)}`).toBe("GetCallerIdentity");
    expect(new URLSearchParams(String(signed.body)).get("Version"), `the body is: ${String(signed.body)}`).toBe("2011-06-15");
    const auth = signed.headers.authorization ?? signed.headers.Authorization ?? "";
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    expect(match, `the Authorization header is: ${auth || "missing"}`).not.toBeNull();
    const [, keyId, , scopeRegion, service, signedHeaders] = match!;
    expect(keyId, "the key id travels in the header").toBe(key.accessKeyId);
    expect(scopeRegion, "the signature is scoped to the region").toBe(region);
    expect(service, "the signature is scoped to the service").toBe("sts");
    expect(signedHeaders.split(";"), "the host is signed, so the request cannot be sent elsewhere").toContain("host");
    expect(auth, "the secret signs; it is never sent").not.toContain(key.secretAccessKey);

    // Check the signature independently, from what the learner signed (its SignedHeaders, its date), with
    // AWS's documented algorithm: only the right secret gives the same signature.
    const date = signed.headers["x-amz-date"] ?? "";
    expect(date, "SignatureV4 dates the request in the x-amz-date header").toMatch(/^\d{8}T\d{6}Z$/);
    noProblem(sigV4Problem(signed, key.secretAccessKey), "the signature should be SigV4's, made with the key's secret");
  });

  test("lesson: the signature check accepts every valid SigV4 signature, and only those", async () => {
    const key = { accessKeyId: "AKIAWORKSHOPEXAMPLE1", secretAccessKey: "not-a-real-secret-just-for-signing" };
    // As the SDK signs by default (with x-amz-content-sha256), and as the AWS CLI signs for STS
    // (content-type;host;x-amz-date, no payload header): both are valid for STS.
    for (const applyChecksum of [true, false]) {
      const request = await signForTest(key, { applyChecksum });
      noProblem(sigV4Problem(request, key.secretAccessKey), `signed with applyChecksum: ${applyChecksum}`);
    }
    const wrong = await signForTest({ ...key, secretAccessKey: "another-secret" });
    expect(sigV4Problem(wrong, key.secretAccessKey), "a signature made with another secret is refused").toBeDefined();
  });

  test("step 10: fetchCallerArn sends a signed request and reads the Arn from STS's XML", async () => {
    const { userName, arn } = await newUser();
    const key = await newAccessKey(userName);
    const request = await signForTest(key);
    const got = await lesson.fetchCallerArn(request);
    expect(got, "STS should answer with the ARN of the user whose key signed the request").toBe(arn);
  });

  test("step 10: fetchCallerArn names its error after STS's error code", async () => {
    // STS's documented error answer, as a 403 from a local stand-in for STS: moto answers any key.
    const server = createServer((_, response) => {
      response.writeHead(403, { "content-type": "text/xml" });
      response.end(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
          "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message>" +
          "</Error><RequestId>4b1e2c1a-0000-0000-0000-000000000000</RequestId></ErrorResponse>",
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const key = { accessKeyId: "AKIAWORKSHOPEXAMPLE1", secretAccessKey: "not-a-real-secret-just-for-signing" };
      const request = await signForTest(key, { endpoint: `http://127.0.0.1:${port}/` });
      const error = await lesson.fetchCallerArn(request).then(
        (arn) => new Error(`no error, but the ARN ${arn}`),
        (err: Error) => err,
      );
      if (error instanceof NotImplementedError) throw error;
      expect(error.name, `STS answered 403 InvalidClientTokenId; fetchCallerArn threw ${error.name}: ${error.message}`).toBe("InvalidClientTokenId");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// A public key made with `ssh-keygen -t ed25519` (only the public half: a test vector, no secret),
// with what `ssh-keygen -lf` printed for it: SHA256:sR1fYjG+cunc8vlFKqUizNYi3tcd4bhVBa3fFBtFh1U
const VECTOR = {
  x: "I06P9BI7lhnc3ibwEA6p7sh14mGhUkpdBo9WVjMb4hQ",
  line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICNOj/QSO5YZ3N4m8BAOqe7IdeJhoVJKXQaPVlYzG+IU",
  fingerprint: "sR1fYjG+cunc8vlFKqUizNYi3tcd4bhVBa3fFBtFh1U=",
};
const vectorKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: VECTOR.x }, format: "jwk" });

describe("key pairs (stretch)", () => {
  test("step 11: toOpenSshPublicKey writes the same line as ssh-keygen", () => {
    const line = lesson.toOpenSshPublicKey(vectorKey, "vector");
    expect(line, "expected the line ssh-keygen wrote for this key").toBe(`${VECTOR.line} vector`);
  });

  test("step 11: the key blob is string \"ssh-ed25519\" then the raw 32-byte key, each length-prefixed", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const blob = lesson.sshPublicKeyBlob(publicKey);
    const fields = readSshStrings(blob);
    expect(fields.map((f) => f.length), `the blob holds fields of these lengths`).toEqual([11, 32]);
    expect(fields[0].toString()).toBe("ssh-ed25519");
    expect(fields[1].toString("base64url"), "the second field is the raw public key").toBe(publicKey.export({ format: "jwk" }).x);
  });

  test("step 12: sshFingerprint is the base64 SHA-256 that AWS documents (and ssh-keygen prints)", () => {
    expect(lesson.sshFingerprint(vectorKey)).toBe(VECTOR.fingerprint);
  });

  test("step 13: importKeyPair hands EC2 the public key; the emulator's fingerprint is one recipe or the other", async () => {
    const keyName = uniqueName("t-laptop");
    keyPairs.add(keyName);
    const pair = await lesson.importKeyPair(ec2, keyName, `${VECTOR.line} vector`);
    expect(pair.keyName).toBe(keyName);
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName], IncludePublicKey: true }));
    const described = KeyPairs?.[0];
    expect(pair.keyPairId, "importKeyPair should return the KeyPairId EC2 gave").toBe(described?.KeyPairId);
    expect(described?.PublicKey ?? "", "EC2 holds the public key you sent").toContain(VECTOR.line.split(" ")[1]);
    expect(described?.Tags ?? [], `the key pair's tags are: ${JSON.stringify(described?.Tags ?? [])}`).toContainEqual({
      Key: "workshop",
      Value: "no-toca-boton",
    });
    // AWS reports base64(SHA-256(blob)); moto 5.2 (and LocalStack, which uses moto's key pairs) reports
    // the hex SHA-256 of the DER SubjectPublicKeyInfo. Both are recomputed here from the public key.
    const recipes = [awsFingerprint(VECTOR.line), motoFingerprint(vectorKey)];
    expect(recipes, `the emulator reported ${pair.fingerprint}`).toContain(pair.fingerprint);
    expect(described?.KeyFingerprint, "ImportKeyPair and DescribeKeyPairs agree").toBe(pair.fingerprint);
  });

  test("step 14: createKeyPair saves the private key AWS made in a .pem only its owner can read", async () => {
    const keyName = uniqueName("t-aws-made");
    keyPairs.add(keyName);
    const created = await lesson.createKeyPair(ec2, keyName, pemDir);
    expect(created.pemPath.startsWith(pemDir), `the .pem should be saved in ${pemDir}, not ${created.pemPath}`).toBe(true);
    const pem = await readFile(created.pemPath, "utf8");
    expect(pem, "the file holds the private key").toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    if (process.platform !== "win32") {
      const mode = (await stat(created.pemPath)).mode & 0o777;
      expect(mode.toString(8), "the private key must be readable by its owner only (chmod 600)").toBe("600");
    }
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    expect(created.keyPairId).toBe(KeyPairs?.[0]?.KeyPairId);
    expect(created.fingerprint).toBe(KeyPairs?.[0]?.KeyFingerprint);
  });
});

describe("clean up", () => {
  /** A user with two access keys and a managed policy of its own, made with the SDK directly. */
  async function userWithKeysAndPolicy(): Promise<{ userName: string; keyIds: string[]; policyArn: string }> {
    const { userName } = await newUser();
    const keyIds = [(await newAccessKey(userName)).accessKeyId, (await newAccessKey(userName)).accessKeyId];
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName("t-policy"),
        PolicyDocument: JSON.stringify(SAMPLE_POLICY),
      }),
    );
    policies.add(Policy!.Arn!);
    await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: Policy!.Arn! }));
    return { userName, keyIds, policyArn: Policy!.Arn! };
  }

  async function expectGone(userName: string, policyArn: string): Promise<void> {
    const user = await iam.send(new GetUserCommand({ UserName: userName })).then(
      () => "still there",
      (err: Error) => err.name,
    );
    expect(user, "the user should be gone").toMatch(/NoSuchEntity/);
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn })).then(
      () => "still there",
      (err: Error) => err.name,
    );
    expect(policy, "the user's own policy should be deleted with it").toMatch(/NoSuchEntity/);
  }

  test("step 8: deleteUser removes the user's access keys, its own policy and the user", async () => {
    const { userName, policyArn } = await userWithKeysAndPolicy();
    await lesson.deleteUser(iam, userName);
    await expectGone(userName, policyArn);
  });

  test("step 8: deleteUser empties the user before DeleteUser, in the order AWS requires", async () => {
    // IAM's DeleteUser answers DeleteConflict while the user has access keys or attached policies, and
    // DeletePolicy does while the policy is attached (IAM API Reference); moto deletes anyway. So the
    // check looks at what was sent: every key deleted and the policy detached before DeleteUser, the
    // policy detached before DeletePolicy. Any order among those independent calls is fine.
    const { userName, keyIds, policyArn } = await userWithKeysAndPolicy();
    const rec = recordCalls();
    await lesson.deleteUser(iam, userName);
    rec.stop();
    const calls = rec.calls.filter((c) => c.fromLesson && c.service === "IAM");
    const shown = callList(calls);
    const last = (op: string, test: (input: Record<string, unknown>) => boolean) =>
      calls.map((c, i) => (c.operation === op && c.ok && test(c.input) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    const deleteUser = last("DeleteUser", (input) => input.UserName === userName);
    expect(deleteUser, `deleteUser should send DeleteUser; it sent:\n  ${shown}`).toBeGreaterThanOrEqual(0);
    for (const keyId of keyIds) {
      const deleted = last("DeleteAccessKey", (input) => input.AccessKeyId === keyId);
      expect(deleted, `access key ${keyId} should be deleted before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`).toBeGreaterThanOrEqual(0);
      expect(deleted, `access key ${keyId} should be deleted before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`).toBeLessThan(deleteUser);
    }
    const detached = last("DetachUserPolicy", (input) => input.PolicyArn === policyArn);
    const policyDeleted = last("DeletePolicy", (input) => input.PolicyArn === policyArn);
    expect(detached, `the policy should be detached before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`).toBeGreaterThanOrEqual(0);
    expect(detached, `the policy should be detached before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`).toBeLessThan(deleteUser);
    expect(policyDeleted, `the policy should be detached before DeletePolicy (AWS: DeleteConflict); it sent:\n  ${shown}`).toBeGreaterThan(detached);
  });

  test("step 8: deleteUser still cleans up when IAM fails a call once (a 500 the SDK retries)", async () => {
    const { userName, policyArn } = await userWithKeysAndPolicy();
    const faults = injectFaults([
      { service: "IAM", operation: "DeleteAccessKey", fault: "server-error", times: 1, from: "lesson" },
      { service: "IAM", operation: "DetachUserPolicy", fault: "throttle", times: 1, from: "lesson" },
    ]);
    await lesson.deleteUser(iam, userName);
    expect(faults.injected.length, "the faults were injected").toBeGreaterThan(0);
    await expectGone(userName, policyArn);
  });
});

// ------------------------------------------------------------------------------------------------
// Helpers of the tests.

function stsAs(key: { accessKeyId: string; secretAccessKey: string }): STSClient {
  return createClient(STSClient, { credentials: key, maxAttempts: 1 });
}

async function signForTest(
  key: { accessKeyId: string; secretAccessKey: string },
  options: { applyChecksum?: boolean; endpoint?: string } = {},
): Promise<HttpRequest> {
  const url = new URL(options.endpoint ?? endpoint);
  const request = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    headers: { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
  });
  const signer = new SignatureV4({ service: "sts", region, credentials: key, sha256: Sha256, applyChecksum: options.applyChecksum ?? true });
  return (await signer.sign(request)) as HttpRequest;
}

/**
 * Checks a SigV4 Authorization header the way AWS does (General Reference, "Signing AWS API requests"):
 * rebuild the canonical request from the headers the signer listed in SignedHeaders, derive the signing
 * key from the secret, date, region and service, and compare. Returns what is wrong, or undefined.
 */
function sigV4Problem(request: HttpRequest, secret: string): string | undefined {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    headers.authorization ?? "",
  );
  if (!auth) return `the Authorization header is not SigV4's: ${headers.authorization ?? "missing"}`;
  const [, , day, scopeRegion, service, signedHeaderList, signature] = auth;
  const amzDate = headers["x-amz-date"] ?? "";
  if (!amzDate.startsWith(day)) return `the credential's date ${day} is not the request's x-amz-date ${amzDate}`;
  const signedHeaders = signedHeaderList.split(";");
  const missing = signedHeaders.filter((name) => !(name in headers));
  if (missing.length > 0) return `SignedHeaders lists ${missing.join(", ")}, which the request does not carry`;
  const body = String(request.body ?? "");
  const payloadHash = createHash("sha256").update(body).digest("hex");
  if (headers["x-amz-content-sha256"] && headers["x-amz-content-sha256"] !== payloadHash) return "x-amz-content-sha256 is not the body's hash";
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(String(v ?? ""))}`))
    .sort()
    .join("&");
  const canonical = [
    request.method,
    request.path.split("/").map((segment) => encodeURIComponent(decodeURIComponent(segment))).join("/") || "/",
    query,
    signedHeaders.map((name) => `${name}:${headers[name].trim().replace(/\s+/g, " ")}\n`).join(""),
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${scopeRegion}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const hmac = (k: string | Buffer, data: string) => createHmac("sha256", k).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), scopeRegion), service), "aws4_request");
  const expected = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return expected === signature ? undefined : "the signature does not match the one the key's secret gives for what was signed";
}

/** Fails the check with the whole sentence (an assertion would cut a long message short). */
function noProblem(problem: string | undefined, what: string): void {
  if (problem) throw new Error(`${what}: ${problem}`);
}

/** Recorded calls, one a line: "IAM.DeleteAccessKey AKIA… (ok)". */
function callList(calls: RecordedCall[]): string {
  if (calls.length === 0) return "(nothing)";
  return calls
    .map((c) => {
      const input = c.input as { AccessKeyId?: string; PolicyArn?: string; UserName?: string; Status?: string };
      const about = [input.AccessKeyId ?? input.PolicyArn ?? input.UserName, input.Status].filter(Boolean).join(" ");
      return `${c.service}.${c.operation}${about ? ` ${about}` : ""} (${c.ok ? "ok" : c.errorName})`;
    })
    .join("\n  ");
}

/** IAM returns policy documents URL-encoded (RFC 3986); some emulators return them as plain JSON. */
function parsePolicyDocument(document: string): unknown {
  try {
    return JSON.parse(document);
  } catch {
    return JSON.parse(decodeURIComponent(document));
  }
}

/** A small evaluation of Allow statements with IAM's * and ? wildcards: enough to judge least privilege. */
function allows(doc: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }> }, action: string, resource: string): boolean {
  const matches = (pattern: string, value: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i").test(value);
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const hits = (s: (typeof doc.Statement)[number]) =>
    list(s.Action).some((a) => matches(a, action)) && list(s.Resource).some((r) => matches(r, resource));
  if (doc.Statement.some((s) => s.Effect === "Deny" && hits(s))) return false;
  return doc.Statement.some((s) => s.Effect === "Allow" && hits(s));
}

function readSshStrings(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    const length = blob.readUInt32BE(at);
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

function awsFingerprint(line: string): string {
  return createHash("sha256").update(Buffer.from(line.split(" ")[1], "base64")).digest("base64");
}

function motoFingerprint(publicKey: KeyObject): string {
  const hex = createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
  return hex.match(/../g)!.join(":");
}
