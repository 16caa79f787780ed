// Lesson 01: security keys. The talk's three kinds of credentials, and IAM:
//   key pairs (EC2 and SSH), access keys (REST and Query requests), X.509 certificates (the old SOAP API).
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  EC2Client,
  ImportKeyPairCommand,
} from "@aws-sdk/client-ec2";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { clientConfig, createClient, mask, runMain, todo, uniqueName, workshopTags } from "../../workshop/lesson";

/** Who AWS thinks is calling: the answer of STS GetCallerIdentity. */
export interface Identity {
  account: string;
  arn: string;
  userId: string;
}

export interface WorkshopUser {
  userName: string;
  arn: string;
}

/** An access key: the id travels in every request, the secret never does (it only signs). */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface KeyPairInfo {
  keyName: string;
  keyPairId: string;
  /** The fingerprint EC2 reports for the key. */
  fingerprint: string;
}

export interface CreatedKeyPair extends KeyPairInfo {
  /** Where the private key was saved (mode 0600). */
  pemPath: string;
}

// ---------------------------------------------------------------------------------------------
// Step 1: who am I?

/** STS GetCallerIdentity needs no permission at all: any valid credentials may ask who they are. */
export async function getCallerIdentity(sts: STSClient): Promise<Identity> {
  // TODO 1: send a GetCallerIdentityCommand with `sts` and return { account, arn, userId } from its answer
  // (the answer's Account, Arn and UserId).
  return todo(1, "ask STS who you are: send a GetCallerIdentityCommand and return { account, arn, userId }");
}

// ---------------------------------------------------------------------------------------------
// Steps 2–7: IAM, a user of your own with only the rights it needs.

export async function createUser(iam: IAMClient, userName: string): Promise<WorkshopUser> {
  // TODO 2: send a CreateUserCommand with UserName and Tags: workshopTags(), then return the new user's
  // UserName and Arn from the answer's User.
  return todo(2, "create the IAM user with CreateUserCommand (Tags: workshopTags()) and return { userName, arn }");
}

/** The partition of an ARN: "aws", or "aws-cn", "aws-us-gov"… Take it from an ARN you got, never assume it. */
export function partitionOf(arn: string): string {
  return arn.split(":")[1];
}

/** Least privilege: list one bucket and read its objects. Nothing else, nowhere else. */
export function readOnlyBucketPolicy(bucket: string, partition: string): PolicyDocument {
  // TODO 3: return a policy document (Version "2012-10-17") with two Allow statements:
  //   s3:ListBucket on the bucket itself:   arn:<partition>:s3:::<bucket>
  //   s3:GetObject  on the bucket's objects: arn:<partition>:s3:::<bucket>/*
  // No "*" actions, no other buckets: least privilege.
  return todo(3, "write the policy document: s3:ListBucket on the bucket's ARN, s3:GetObject on its objects (…/*)");
}

/** A managed policy of the user's own (CreatePolicy), attached to the user (AttachUserPolicy). Returns its ARN. */
export async function createAndAttachPolicy(
  iam: IAMClient,
  userName: string,
  policyName: string,
  document: PolicyDocument,
): Promise<string> {
  // TODO 4: create the policy with CreatePolicyCommand (PolicyName, PolicyDocument: JSON.stringify(document),
  // Tags: workshopTags()), attach it with AttachUserPolicyCommand (UserName, PolicyArn), and return its ARN.
  return todo(4, "create the managed policy with CreatePolicyCommand, attach it with AttachUserPolicyCommand, return its ARN");
}

/** The secret is shown once, in this answer, and never again: AWS keeps only what it needs to check signatures. */
export async function createAccessKey(iam: IAMClient, userName: string): Promise<AccessKey> {
  // TODO 5: send a CreateAccessKeyCommand for the user and return the AccessKeyId and SecretAccessKey of its answer.
  return todo(5, "create an access key with CreateAccessKeyCommand and return { accessKeyId, secretAccessKey }");
}

/** A client is whoever its credentials say: the same code, another identity. */
export function stsClientFor(key: AccessKey): STSClient {
  // TODO 6: build the client with createClient(STSClient, { credentials: { accessKeyId, secretAccessKey } }):
  // the second argument overrides the workshop's dummy credentials.
  return todo(6, "build an STSClient that signs with this key: createClient(STSClient, { credentials: {…} })");
}

export async function listAccessKeyIds(iam: IAMClient, userName: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAccessKeys({ client: iam, pageSize: 10 }, { UserName: userName })) {
    for (const key of page.AccessKeyMetadata ?? []) ids.push(key.AccessKeyId!);
  }
  return ids;
}

/** Rotation: a user may hold two keys, so make the new one first, switch, then delete the old one. */
export async function rotateAccessKey(iam: IAMClient, userName: string, oldAccessKeyId: string): Promise<AccessKey> {
  // TODO 7: create the new key first (createAccessKey), then delete the old one with DeleteAccessKeyCommand
  // (UserName, AccessKeyId), and return the new key.
  return todo(7, "rotate: create the second key, then delete the first with DeleteAccessKeyCommand");
}

// ---------------------------------------------------------------------------------------------
// Steps 8–9: what an access key really does. The SDK signs every request; here we sign one by hand.

/** Where STS answers: the emulator, or (only with WORKSHOP_REAL_AWS=1) STS's regional endpoint. */
export function stsEndpoint(config = clientConfig()): string {
  return config.endpoint ?? `https://sts.${config.region}.amazonaws.com`;
}

/** An STS Query request (POST, form-encoded), signed with Signature Version 4. The secret signs; it is never sent. */
export async function signGetCallerIdentity(key: AccessKey, endpoint: string, region: string): Promise<HttpRequest> {
  // TODO 8: build a new HttpRequest: method "POST"; protocol, hostname, port and path from new URL(endpoint);
  // headers host and "content-type": "application/x-www-form-urlencoded; charset=utf-8";
  // body "Action=GetCallerIdentity&Version=2011-06-15". Sign it with a SignatureV4 for service "sts" in
  // this region, with the key as credentials and Sha256 as sha256, and return the signed request.
  return todo(8, "build the STS Query request as an HttpRequest and sign it with SignatureV4 (service \"sts\")");
}

/** Sends a signed request with plain fetch and reads the caller's ARN out of STS's XML answer. */
export async function fetchCallerArn(request: HttpRequest): Promise<string> {
  // TODO 9: fetch(`${protocol}//${hostname}:${port}${path}`, { method, headers, body }) with the request's own
  // fields, read the answer as text, throw if it is not ok, and return what is between <Arn> and </Arn>.
  return todo(9, "send the signed request with fetch and return the <Arn> from STS's XML answer");
}

/** The Authorization header with the key id and the signature masked: enough to read, never enough to reuse. */
export function maskAuthorization(header: string): string {
  return header
    .replace(/Credential=([^/]+)/, (_, id: string) => `Credential=${mask(id)}`)
    .replace(/Signature=([0-9a-f]+)/, (_, signature: string) => `Signature=${mask(signature)}`);
}

// ---------------------------------------------------------------------------------------------
// Steps 10–13: key pairs. Asymmetric crypto: the private half stays with you, EC2 keeps the public half.

/** Made here, on this laptop: the private key never leaves it. */
export function generateKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync("ed25519");
}

/** SSH's wire format: a 4-byte big-endian length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The OpenSSH public key blob: string "ssh-ed25519", then the raw 32-byte key, each length-prefixed. */
export function sshPublicKeyBlob(publicKey: KeyObject): Buffer {
  // TODO 10: get the raw 32-byte key (publicKey.export({ format: "jwk" }).x is it, in base64url), and return
  // the two fields one after the other, each as an sshString: the text "ssh-ed25519", then the raw key.
  return todo(10, "build the OpenSSH key blob: sshString(\"ssh-ed25519\") then sshString(the raw 32-byte key)");
}

/** The line you would find in ~/.ssh/id_ed25519.pub: "ssh-ed25519 AAAA… comment". */
export function toOpenSshPublicKey(publicKey: KeyObject, comment = "no-toca-boton"): string {
  return `ssh-ed25519 ${sshPublicKeyBlob(publicKey).toString("base64")} ${comment}`;
}

/**
 * The fingerprint AWS documents for ed25519 keys: base64 of the SHA-256 of the key blob, with its "=" padding.
 * `ssh-keygen -lf key.pub` prints the same digest as "SHA256:…" without the padding.
 */
export function sshFingerprint(publicKey: KeyObject): string {
  // TODO 11: hash the blob from sshPublicKeyBlob() with createHash("sha256") and digest it as "base64".
  return todo(11, "compute the fingerprint AWS documents: base64 of the SHA-256 of the key blob");
}

/**
 * What moto computes instead (LocalStack serves key pairs from its moto fork): the SHA-256 of the key's
 * DER SubjectPublicKeyInfo, in hex pairs joined by ":". The same key, another recipe.
 */
export function motoFingerprint(publicKey: KeyObject): string {
  const hex = createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
  return hex.match(/../g)!.join(":");
}

/** ImportKeyPair: you hand EC2 only the public half. */
export async function importKeyPair(ec2: EC2Client, keyName: string, openSshPublicKey: string): Promise<KeyPairInfo> {
  // TODO 12: send an ImportKeyPairCommand with KeyName, PublicKeyMaterial: Buffer.from(openSshPublicKey) and
  // TagSpecifications: [{ ResourceType: "key-pair", Tags: workshopTags() }]; return KeyName, KeyPairId, KeyFingerprint.
  return todo(12, "import the public key with ImportKeyPairCommand (tagged) and return { keyName, keyPairId, fingerprint }");
}

/** CreateKeyPair: AWS makes the key and hands you the private half once. Save it where only you can read it. */
export async function createKeyPair(ec2: EC2Client, keyName: string, dir: string): Promise<CreatedKeyPair> {
  // TODO 13: send a CreateKeyPairCommand (KeyName, KeyType "ed25519", KeyFormat "pem", tagged like TODO 12).
  // Write its KeyMaterial to join(dir, `${keyName}.pem`) with writeFile(…, { mode: 0o600, flag: "wx" }), then
  // chmod(pemPath, 0o600) to be sure. Return keyName, keyPairId, fingerprint and pemPath.
  return todo(13, "create the key pair with CreateKeyPairCommand and save its KeyMaterial to a .pem file with mode 0600");
}

export async function deleteKeyPair(ec2: EC2Client, keyName: string, pemPath?: string): Promise<void> {
  await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
  if (pemPath) await rm(pemPath, { force: true });
}

// ---------------------------------------------------------------------------------------------
// Step 14: clean up. IAM deletes a user only when nothing hangs off it any more.

export async function deleteUser(iam: IAMClient, userName: string): Promise<void> {
  // TODO 14: in this order: delete each access key (listAccessKeyIds, DeleteAccessKeyCommand); for each policy
  // that paginateListAttachedUserPolicies finds, DetachUserPolicyCommand and, unless it is AWS's own
  // (":iam::aws:policy/" in its ARN), DeletePolicyCommand; last, DeleteUserCommand.
  return todo(14, "delete the access keys, detach and delete the user's policy, then delete the user");
}

// ---------------------------------------------------------------------------------------------
// The demo: `npx tsx lessons/01-security-keys/exercise.ts`

/**
 * "Consistencia eventual": on real AWS a brand-new access key takes a few seconds to work everywhere.
 * Emulators answer at once, so this never waits there.
 */
async function untilTheKeyWorks<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if ((err as Error).name !== "InvalidClientTokenId" || attempt >= 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export async function main(): Promise<void> {
  const config = clientConfig();
  const sts = createClient(STSClient);
  const iam = createClient(IAMClient);
  const ec2 = createClient(EC2Client);

  const me = await getCallerIdentity(sts);
  console.log(`1. The workshop's credentials are ${me.arn} (account ${me.account}).`);

  const userName = uniqueName("user");
  const bucket = uniqueName("photos");
  const importedName = uniqueName("laptop");
  const createdName = uniqueName("aws-made");
  const keyDir = await mkdtemp(join(tmpdir(), "nt-keys-"));
  let user: WorkshopUser | undefined;
  let imported = false;
  let created: CreatedKeyPair | undefined;
  try {
    user = await createUser(iam, userName);
    console.log(`2. Created the IAM user ${user.arn}, tagged workshop=no-toca-boton.`);

    const policy = readOnlyBucketPolicy(bucket, partitionOf(user.arn));
    const policyArn = await createAndAttachPolicy(iam, userName, uniqueName("read-photos"), policy);
    console.log(`3–4. Attached ${policyArn}: s3:ListBucket and s3:GetObject on ${bucket}, nothing else.`);

    const first = await createAccessKey(iam, userName);
    console.log(`5. Access key ${mask(first.accessKeyId)}, secret ${mask(first.secretAccessKey)} (shown once, never in full).`);

    const asUser = await untilTheKeyWorks(() => getCallerIdentity(stsClientFor(first)));
    console.log(`6. With the new key, STS says: ${asUser.arn}`);
    console.log(`   ${asUser.arn === user.arn ? "✓ that is the user IAM created" : `✗ IAM says the user is ${user.arn}`}`);

    const second = await rotateAccessKey(iam, userName, first.accessKeyId);
    const keys = await listAccessKeyIds(iam, userName);
    console.log(`7. Rotated: ${mask(first.accessKeyId)} is deleted; the user's keys are now ${keys.map(mask).join(", ")}.`);

    const signed = await signGetCallerIdentity(second, stsEndpoint(config), config.region);
    console.log(`8. Signed by hand: POST ${stsEndpoint(config)} ${String(signed.body)}`);
    console.log(`   Authorization: ${maskAuthorization(signed.headers.authorization)}`);
    const arn = await untilTheKeyWorks(() => fetchCallerArn(signed));
    console.log(`9. Sent with fetch; STS answered <Arn>${arn}</Arn>.`);

    const { publicKey } = generateKeyPair();
    const line = toOpenSshPublicKey(publicKey);
    console.log(`10. Made an ed25519 key pair here. Public half: ${line.slice(0, 40)}…`);
    const local = sshFingerprint(publicKey);
    const pair = await importKeyPair(ec2, importedName, line);
    imported = true;
    console.log(`11–12. Imported it as ${pair.keyName} (${pair.keyPairId}).`);
    console.log(`   Fingerprint computed here (what AWS documents): ${local}`);
    console.log(`   Fingerprint the emulator reports:               ${pair.fingerprint}`);
    if (pair.fingerprint === local) console.log("   ✓ they match");
    else if (pair.fingerprint === motoFingerprint(publicKey)) {
      console.log("   ✓ it is moto's recipe (hex SHA-256 of the DER public key) for this same key; AWS would report the first.");
    } else console.log("   ✗ neither recipe gives the emulator's fingerprint");

    created = await createKeyPair(ec2, createdName, keyDir);
    const mode = ((await stat(created.pemPath)).mode & 0o777).toString(8);
    console.log(`13. CreateKeyPair: AWS made ${created.keyName}; its private half is saved in ${created.pemPath} (mode ${mode}).`);
  } finally {
    if (created) await deleteKeyPair(ec2, created.keyName, created.pemPath);
    if (imported) await deleteKeyPair(ec2, importedName);
    await rm(keyDir, { recursive: true, force: true });
    if (user) await deleteUser(iam, userName);
    console.log(`14. Cleaned up: the key pairs, the .pem file, the access keys, the policy and the user.`);
  }
}

runMain(import.meta.url, main);
