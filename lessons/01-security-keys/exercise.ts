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
  GetAccessKeyLastUsedCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { clientConfig, createClient, mask, runMain, say, stretch, todo, uniqueName, workshopTags } from "../../workshop/lesson";

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

/** What a rotation did: the new key, and when the old one was last used (undefined: never, as far as IAM knows). */
export interface Rotation {
  newKey: AccessKey;
  oldKeyLastUsed?: Date;
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
  // TODO 1: ask STS who these credentials belong to (GetCallerIdentity) and return its account, ARN and user id.
  return todo(1, "ask STS who you are: GetCallerIdentity");
}

// ---------------------------------------------------------------------------------------------
// Steps 2–8: IAM, a user of your own with only the rights it needs, and cleaning it up.

export async function createUser(iam: IAMClient, userName: string): Promise<WorkshopUser> {
  // TODO 2: create the IAM user (CreateUser) with the workshop's tags, so that cleanup can find it,
  //   and return its name and ARN.
  return todo(2, "create the IAM user with CreateUser, tagged");
}

/** The partition of an ARN: "aws", or "aws-cn", "aws-us-gov"… Take it from an ARN you got, never assume it. */
export function partitionOf(arn: string): string {
  return arn.split(":")[1];
}

/** Least privilege: list one bucket and read its objects. Nothing else, nowhere else. */
export function readOnlyBucketPolicy(bucket: string, partition: string): PolicyDocument {
  // TODO 3: least privilege: allow listing this one bucket and reading the objects in it, nothing else.
  //   The bucket and its objects are two resources, with two ARNs in the given partition.
  return todo(3, "write the least-privilege policy document: list one bucket, read its objects");
}

/** A managed policy of the user's own (CreatePolicy), attached to the user (AttachUserPolicy). Returns its ARN. */
export async function createAndAttachPolicy(
  iam: IAMClient,
  userName: string,
  policyName: string,
  document: PolicyDocument,
): Promise<string> {
  // TODO 4: make the document a managed policy of its own (CreatePolicy, tagged), attach it to the user
  //   (AttachUserPolicy), and return the policy's ARN.
  return todo(4, "create the managed policy and attach it to the user");
}

/**
 * The secret is shown once, in this answer, and never again. SigV4 is HMAC, symmetric crypto: AWS keeps the secret
 * too and derives the same signing key to check every signature, but IAM will not hand the secret back to anyone.
 */
export async function createAccessKey(iam: IAMClient, userName: string): Promise<AccessKey> {
  // TODO 5: ask IAM for an access key for the user (CreateAccessKey): the secret is in this answer, and only here.
  return todo(5, "create an access key with CreateAccessKey and return its id and secret");
}

/** A client is whoever its credentials say: the same code, another identity. */
export function stsClientFor(key: AccessKey): STSClient {
  // TODO 6: build an STS client that signs with this key instead of the workshop's own credentials.
  return todo(6, "build an STSClient that signs with this key");
}

export async function listAccessKeyIds(iam: IAMClient, userName: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAccessKeys({ client: iam, pageSize: 10 }, { UserName: userName })) {
    for (const key of page.AccessKeyMetadata ?? []) ids.push(key.AccessKeyId!);
  }
  return ids;
}

/**
 * Rotation, in AWS's order: make the second key (a user may hold two, so it is never keyless), switch the
 * application to it, see when the old key was last used, deactivate the old key, and only then delete it.
 * `switchTo` is the application's part: it starts using the new key, and throws if it cannot.
 */
export async function rotateAccessKey(
  iam: IAMClient,
  userName: string,
  oldAccessKeyId: string,
  switchTo: (key: AccessKey) => Promise<void>,
): Promise<Rotation> {
  // TODO 7: rotate in AWS's order: a second key; the application switched to it (switchTo); when the old key
  //   was last used (GetAccessKeyLastUsed); the old key deactivated (UpdateAccessKey); only then deleted.
  return todo(7, "rotate: new key, switch, check last use, deactivate the old key, then delete it");
}

// ---------------------------------------------------------------------------------------------
// Step 8: clean up. IAM deletes a user only when nothing hangs off it any more.

export async function deleteUser(iam: IAMClient, userName: string): Promise<void> {
  // TODO 8: IAM refuses to delete a user that something still hangs off: remove its access keys, detach its
  //   policies (deleting the ones that are its own, not AWS's), and only then delete the user.
  return todo(8, "delete the access keys, detach (and delete) the user's policies, then the user");
}

// ---------------------------------------------------------------------------------------------
// Steps 9–10 (stretch): what an access key really does. The SDK signs every request; here we sign one by hand.

/** Where STS answers: the emulator, or (only with WORKSHOP_REAL_AWS=1) STS's regional endpoint. */
export function stsEndpoint(config = clientConfig()): string {
  return config.endpoint ?? `https://sts.${config.region}.amazonaws.com`;
}

/** An STS Query request (POST, form-encoded), signed with Signature Version 4. The secret signs; it is never sent. */
export async function signGetCallerIdentity(key: AccessKey, endpoint: string, region: string): Promise<HttpRequest> {
  // TODO 9: build STS's GetCallerIdentity Query request (a form-encoded POST to the endpoint) as an HttpRequest,
  //   and sign it with the SDK's SignatureV4 for the service "sts" in this region.
  return todo(9, "build the STS Query request as an HttpRequest and sign it with SignatureV4");
}

/** Sends a signed request with plain fetch and reads the caller's ARN out of STS's XML answer. */
export async function fetchCallerArn(request: HttpRequest): Promise<string> {
  // TODO 10: send the signed request exactly as it is, with fetch: its method, its URL (a request without a port
  //   has none in its URL), its headers and body. Turn an error answer into stsError(…); return the <Arn>.
  return todo(10, "send the signed request with fetch and return the <Arn> of STS's answer");
}

/**
 * STS's error answer, `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>…`, as an Error named
 * after its code ("InvalidClientTokenId", "SignatureDoesNotMatch"…), the way the SDK names the errors it throws.
 */
export function stsError(status: number, xml: string): Error {
  const code = /<Code>([^<]+)<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  const error = new Error(say(`STS answered HTTP ${status}${code ? ` ${code}` : ""}: ${message ?? xml.slice(0, 300)}`, `STS respondió HTTP ${status}${code ? ` ${code}` : ""}: ${message ?? xml.slice(0, 300)}`));
  error.name = code ?? `HTTP${status}`;
  return error;
}

/** The Authorization header with the key id and the signature masked: enough to read, never enough to reuse. */
export function maskAuthorization(header: string): string {
  return header
    .replace(/Credential=([^/]+)/, (_, id: string) => `Credential=${mask(id)}`)
    .replace(/Signature=([0-9a-f]+)/, (_, signature: string) => `Signature=${mask(signature)}`);
}

// ---------------------------------------------------------------------------------------------
// Steps 11–14 (stretch): key pairs. Asymmetric crypto: the private half stays with you, EC2 keeps the public half.

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
  // TODO 11: OpenSSH's wire format: the key type's name, then the raw 32-byte public key, each as an sshString.
  return todo(11, "build the OpenSSH key blob: the key type, then the raw key, each length-prefixed");
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
  // TODO 12: the fingerprint AWS documents for ed25519 keys: the SHA-256 of the key blob, in base64.
  return todo(12, "compute the fingerprint AWS documents: base64 of the SHA-256 of the key blob");
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
  // TODO 13: hand EC2 only the public half (ImportKeyPair), tagged like everything else; return what EC2 reports.
  return todo(13, "import the public key with ImportKeyPair, tagged");
}

/** CreateKeyPair: AWS makes the key and hands you the private half once. Save it where only you can read it. */
export async function createKeyPair(ec2: EC2Client, keyName: string, dir: string): Promise<CreatedKeyPair> {
  // TODO 14: let EC2 make an ed25519 key pair (CreateKeyPair, PEM, tagged), save the private half it returns
  //   once to <dir>/<keyName>.pem readable by you alone (mode 0600), and return it with that path.
  return todo(14, "create the key pair with CreateKeyPair and save its private key in a .pem file, mode 0600");
}

export async function deleteKeyPair(ec2: EC2Client, keyName: string, pemPath?: string): Promise<void> {
  await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
  if (pemPath) await rm(pemPath, { force: true });
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
  console.log(say(`1. The workshop's credentials are ${me.arn} (account ${me.account}).`, `1. Las credenciales del taller son ${me.arn} (cuenta ${me.account}).`));

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
    console.log(say(`2. Created the IAM user ${user.arn}, tagged workshop=no-toca-boton.`, `2. Creé el usuario de IAM ${user.arn}, con la etiqueta workshop=no-toca-boton.`));

    const policy = readOnlyBucketPolicy(bucket, partitionOf(user.arn));
    const policyArn = await createAndAttachPolicy(iam, userName, uniqueName("read-photos"), policy);
    console.log(say(`3–4. Attached ${policyArn}: s3:ListBucket and s3:GetObject on ${bucket}, nothing else.`, `3–4. Asocié ${policyArn}: s3:ListBucket y s3:GetObject sobre ${bucket}, nada más.`));

    const first = await createAccessKey(iam, userName);
    console.log(say(`5. Access key ${mask(first.accessKeyId)}, secret ${mask(first.secretAccessKey)} (shown once, never in full).`, `5. Clave de acceso ${mask(first.accessKeyId)}, clave secreta ${mask(first.secretAccessKey)} (se muestra una sola vez, nunca completa).`));

    const asUser = await untilTheKeyWorks(() => getCallerIdentity(stsClientFor(first)));
    console.log(say(`6. With the new key, STS says: ${asUser.arn}`, `6. Con la clave nueva, STS dice: ${asUser.arn}`));
    console.log(`   ${asUser.arn === user.arn ? say("✓ that is the user IAM created", "✓ es el usuario que creó IAM") : say(`✗ IAM says the user is ${user.arn}`, `✗ IAM dice que el usuario es ${user.arn}`)}`);

    const { newKey: second, oldKeyLastUsed } = await rotateAccessKey(iam, userName, first.accessKeyId, async (key) => {
      await untilTheKeyWorks(() => getCallerIdentity(stsClientFor(key))); // "the application" switches to the new key
    });
    const keys = await listAccessKeyIds(iam, userName);
    const lastUsed = oldKeyLastUsed ? say(`last used ${oldKeyLastUsed.toISOString()}`, `usada por última vez el ${oldKeyLastUsed.toISOString()}`) : say("never used, as far as IAM knows", "nunca usada, que IAM sepa");
    console.log(say(`7. Rotated: ${mask(first.accessKeyId)} (${lastUsed}) was deactivated, then deleted; the user's keys are now ${keys.map(mask).join(", ")}.`, `7. Rotada: ${mask(first.accessKeyId)} (${lastUsed}) se desactivó y después se borró; ahora las claves del usuario son ${keys.map(mask).join(", ")}.`));

    await stretch(async () => {
      const signed = await signGetCallerIdentity(second, stsEndpoint(config), config.region);
      console.log(say(`9. Signed by hand: POST ${stsEndpoint(config)} ${String(signed.body)}`, `9. Firmada a mano: POST ${stsEndpoint(config)} ${String(signed.body)}`));
      console.log(`   Authorization: ${maskAuthorization(signed.headers.authorization)}`);
      const arn = await untilTheKeyWorks(() => fetchCallerArn(signed));
      console.log(say(`10. Sent with fetch; STS answered <Arn>${arn}</Arn>.`, `10. Mandada con fetch; STS respondió <Arn>${arn}</Arn>.`));
    });

    await stretch(async () => {
      const { publicKey } = generateKeyPair();
      const line = toOpenSshPublicKey(publicKey);
      console.log(say(`11. Made an ed25519 key pair here. Public half: ${line.slice(0, 40)}…`, `11. Hice acá un par de claves ed25519. Mitad pública: ${line.slice(0, 40)}…`));
      const local = sshFingerprint(publicKey);
      const pair = await importKeyPair(ec2, importedName, line);
      imported = true;
      console.log(say(`12–13. Imported it as ${pair.keyName} (${pair.keyPairId}).`, `12–13. Lo importé como ${pair.keyName} (${pair.keyPairId}).`));
      console.log(say(`   Fingerprint computed here (what AWS documents): ${local}`, `   Huella digital calculada acá (la que documenta AWS): ${local}`));
      console.log(say(`   Fingerprint the emulator reports:               ${pair.fingerprint}`, `   Huella digital que informa el emulador:              ${pair.fingerprint}`));
      if (pair.fingerprint === local) console.log(say("   ✓ they match", "   ✓ coinciden"));
      else if (pair.fingerprint === motoFingerprint(publicKey)) {
        console.log(say("   ✓ it is moto's recipe (hex SHA-256 of the DER public key) for this same key; AWS would report the first.", "   ✓ es la receta de moto (SHA-256 en hex de la clave pública DER) para esta misma clave; AWS informaría la primera."));
      } else console.log(say("   ✗ neither recipe gives the emulator's fingerprint", "   ✗ ninguna de las dos recetas da la huella digital del emulador"));

      created = await createKeyPair(ec2, createdName, keyDir);
      const mode = ((await stat(created.pemPath)).mode & 0o777).toString(8);
      console.log(say(`14. CreateKeyPair: AWS made ${created.keyName}; its private half is saved in ${created.pemPath} (mode ${mode}).`, `14. CreateKeyPair: AWS hizo ${created.keyName}; su mitad privada quedó guardada en ${created.pemPath} (modo ${mode}).`));
    });
  } finally {
    if (created) await deleteKeyPair(ec2, created.keyName, created.pemPath);
    if (imported) await deleteKeyPair(ec2, importedName);
    await rm(keyDir, { recursive: true, force: true });
    if (user) await deleteUser(iam, userName);
    console.log(say(`8. Cleaned up: the key pairs, the .pem file, the access keys, the policy and the user.`, `8. Limpieza hecha: los pares de claves, el archivo .pem, las claves de acceso, la política y el usuario.`));
  }
}

runMain(import.meta.url, main);
