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
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, say, uniqueName, type RecordedCall } from "../../workshop/testing";

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

describe(say("step 1: who am I", "step 1: quién soy"), () => {
  test(say("step 1: getCallerIdentity answers with an account and an ARN in it", "step 1: getCallerIdentity responde con una cuenta y un ARN que la nombra"), async () => {
    const me = await lesson.getCallerIdentity(sts);
    const direct = await sts.send(new GetCallerIdentityCommand({}));
    expect(me, say("getCallerIdentity should return { account, arn, userId } from STS's answer", "getCallerIdentity debería devolver { account, arn, userId } a partir de la respuesta de STS")).toEqual({
      account: direct.Account,
      arn: direct.Arn,
      userId: direct.UserId,
    });
    expect(me.account, say("an AWS account id is 12 digits", "el ID de una cuenta de AWS tiene 12 dígitos")).toMatch(/^\d{12}$/);
    expect(me.arn, say(`the caller's ARN should name its account ${me.account}`, `el ARN de quien llama debería nombrar su cuenta ${me.account}`)).toContain(`::${me.account}:`);
  });
});

describe(say("IAM: a user of your own", "IAM: un usuario propio"), () => {
  test(say("step 2: createUser makes a user tagged for the workshop", "step 2: createUser crea un usuario con la etiqueta del taller"), async () => {
    const userName = uniqueName("t-user");
    users.add(userName);
    const user = await lesson.createUser(iam, userName);
    expect(user.userName).toBe(userName);
    expect(user.arn, say("createUser should return the ARN IAM gave the user", "createUser debería devolver el ARN que IAM le dio al usuario")).toBe(await userArn(userName));
    const { Tags } = await iam.send(new ListUserTagsCommand({ UserName: userName }));
    expect(Tags ?? [], say(`the user's tags are: ${JSON.stringify(Tags ?? [])}`, `las etiquetas del usuario son: ${JSON.stringify(Tags ?? [])}`)).toContainEqual({
      Key: "workshop",
      Value: "no-toca-boton",
    });
  });

  test(say("step 3: readOnlyBucketPolicy lets the user list one bucket and read its objects, and nothing else", "step 3: readOnlyBucketPolicy deja que el usuario liste un bucket y lea sus objetos, y nada más"), () => {
    const doc = lesson.readOnlyBucketPolicy("photos", "aws");
    const shown = JSON.stringify(doc);
    expect(doc.Version, say("IAM policies use the language version 2012-10-17", "las políticas de IAM usan la versión 2012-10-17 del lenguaje")).toBe("2012-10-17");
    expect(allows(doc, "s3:ListBucket", "arn:aws:s3:::photos"), say(`listing the bucket should be allowed: ${shown}`, `listar el bucket debería estar permitido: ${shown}`)).toBe(true);
    expect(allows(doc, "s3:GetObject", "arn:aws:s3:::photos/2012/pycon.jpg"), say(`reading an object should be allowed: ${shown}`, `leer un objeto debería estar permitido: ${shown}`)).toBe(true);
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
      expect(allows(doc, action, resource), say(`least privilege: ${action} on ${resource} must not be allowed, but ${shown} allows it`, `mínimo privilegio: ${action} sobre ${resource} no debe estar permitido, pero ${shown} lo permite`)).toBe(false);
    }
  });

  test(say("step 3: readOnlyBucketPolicy takes the partition it is given", "step 3: readOnlyBucketPolicy usa la partición que recibe"), () => {
    const doc = lesson.readOnlyBucketPolicy("photos", "aws-cn");
    expect(allows(doc, "s3:GetObject", "arn:aws-cn:s3:::photos/a.jpg"), JSON.stringify(doc)).toBe(true);
  });

  test(say("step 4: createAndAttachPolicy creates a managed policy with that document and attaches it to the user", "step 4: createAndAttachPolicy crea una política administrada con ese documento y se la asocia al usuario"), async () => {
    const { userName } = await newUser();
    const document = {
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::t-bucket/*"] }],
    };
    const policyArn = await lesson.createAndAttachPolicy(iam, userName, uniqueName("t-policy"), document);
    policies.add(policyArn);
    const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
    const attached = (AttachedPolicies ?? []).map((p) => p.PolicyArn);
    expect(attached, say(`the user has these policies attached: ${attached.join(", ") || "none"}`, `el usuario tiene asociadas estas políticas: ${attached.join(", ") || "ninguna"}`)).toContain(policyArn);
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy!.DefaultVersionId! }),
    );
    expect(parsePolicyDocument(PolicyVersion!.Document!), say("the policy IAM stored", "la política que guardó IAM")).toEqual(document);
    const { Tags } = await iam.send(new ListPolicyTagsCommand({ PolicyArn: policyArn }));
    expect(Tags ?? [], say(`the policy's tags are: ${JSON.stringify(Tags ?? [])}`, `las etiquetas de la política son: ${JSON.stringify(Tags ?? [])}`)).toContainEqual({ Key: "workshop", Value: "no-toca-boton" });
  });

  test(say("step 5: createAccessKey makes a key for the user and returns its secret", "step 5: createAccessKey crea una clave para el usuario y devuelve su clave secreta"), async () => {
    const { userName } = await newUser();
    const key = await lesson.createAccessKey(iam, userName);
    const ids = await accessKeyIds(userName);
    expect(ids, say(`IAM lists these keys for the user: ${ids.join(", ") || "none"}`, `IAM lista estas claves para el usuario: ${ids.join(", ") || "ninguna"}`)).toEqual([key.accessKeyId]);
    expect(key.secretAccessKey, say("the secret is only in CreateAccessKey's answer: return it", "la clave secreta solo viene en la respuesta de CreateAccessKey: devolvela")).toBeTruthy();
  });

  test(say("step 6: stsClientFor builds a client that STS recognises as the new user", "step 6: stsClientFor arma un cliente que STS reconoce como el usuario nuevo"), async () => {
    const { userName, arn } = await newUser();
    const key = await newAccessKey(userName);
    const client = lesson.stsClientFor(key);
    const identity = await client.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn, say("with the user's access key, GetCallerIdentity should answer with the user's ARN (from IAM GetUser)", "con la clave de acceso del usuario, GetCallerIdentity debería responder con el ARN del usuario (el de IAM GetUser)")).toBe(arn);
  });

  test(say("step 7: rotateAccessKey switches to a new key, deactivates the old one, then deletes it", "step 7: rotateAccessKey pasa a una clave nueva, desactiva la vieja y después la borra"), async () => {
    const { userName, arn } = await newUser();
    const old = await newAccessKey(userName);
    const rec = recordCalls();
    let switchedAt = -1;
    const rotation = await lesson.rotateAccessKey(iam, userName, old.accessKeyId, async (key) => {
      switchedAt = rec.calls.length;
      const asNewKey = await stsAs(key).send(new GetCallerIdentityCommand({}));
      expect(asNewKey.Arn, say("the key handed to switchTo should identify the user", "la clave que recibe switchTo debería identificar al usuario")).toBe(arn);
    });
    rec.stop();
    const fresh = rotation.newKey;
    expect(fresh.accessKeyId, say("rotation makes a new key", "la rotación crea una clave nueva")).not.toBe(old.accessKeyId);
    const ids = await accessKeyIds(userName);
    expect(ids, say(`after rotating, IAM lists: ${ids.join(", ") || "no keys"}`, `después de rotar, IAM lista: ${ids.join(", ") || "ninguna clave"}`)).toEqual([fresh.accessKeyId]);
    if (rotation.oldKeyLastUsed !== undefined) {
      expect(rotation.oldKeyLastUsed, say("oldKeyLastUsed is GetAccessKeyLastUsed's LastUsedDate", "oldKeyLastUsed es el LastUsedDate de GetAccessKeyLastUsed")).toBeInstanceOf(Date);
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
    expect(created, say(`the new key comes from CreateAccessKey; the lesson sent:\n  ${shown}`, `la clave nueva sale de CreateAccessKey; la lección mandó:\n  ${shown}`)).toBeGreaterThanOrEqual(0);
    expect(switchedAt, say(`switchTo is called with the new key, after CreateAccessKey; the lesson sent:\n  ${shown}`, `switchTo se llama con la clave nueva, después de CreateAccessKey; la lección mandó:\n  ${shown}`)).toBeGreaterThan(created);
    expect(lastUsed, say(`GetAccessKeyLastUsed is asked about the old key; the lesson sent:\n  ${shown}`, `GetAccessKeyLastUsed se consulta sobre la clave vieja; la lección mandó:\n  ${shown}`)).toBeGreaterThanOrEqual(0);
    expect(deactivated, say(`the old key is set Inactive (UpdateAccessKey) after the switch; the lesson sent:\n  ${shown}`, `la clave vieja pasa a Inactive (UpdateAccessKey) después del cambio; la lección mandó:\n  ${shown}`)).toBeGreaterThanOrEqual(switchedAt);
    expect(deleted, say(`the old key is deleted only after it was deactivated; the lesson sent:\n  ${shown}`, `la clave vieja se borra recién después de desactivarla; la lección mandó:\n  ${shown}`)).toBeGreaterThan(deactivated);
    expect(lastUsed, say(`GetAccessKeyLastUsed comes before the delete; the lesson sent:\n  ${shown}`, `GetAccessKeyLastUsed va antes del borrado; la lección mandó:\n  ${shown}`)).toBeLessThan(deleted);

    // AWS refuses a deleted key (InvalidClientTokenId); the emulators answer with a default identity instead.
    // Either way, the old key no longer speaks for the user.
    const oldIdentity = await stsAs(old)
      .send(new GetCallerIdentityCommand({}))
      .then((answer) => answer.Arn, (err: Error) => err.name);
    expect(oldIdentity, say("the deleted key must not identify the user any more", "la clave borrada ya no debe identificar al usuario")).not.toBe(arn);
  });

  test(say("step 7: rotateAccessKey still rotates when IAM throttles a call once (the SDK retries it)", "step 7: rotateAccessKey rota igual cuando IAM limita (throttling) una llamada una vez (el SDK la reintenta)"), async () => {
    const { userName } = await newUser();
    const old = await newAccessKey(userName);
    injectFaults([
      { service: "IAM", operation: "UpdateAccessKey", fault: "throttle", times: 1, from: "lesson" },
      { service: "IAM", operation: "DeleteAccessKey", fault: "server-error", times: 1, from: "lesson" },
    ]);
    const { newKey } = await lesson.rotateAccessKey(iam, userName, old.accessKeyId, async () => {});
    const ids = await accessKeyIds(userName);
    expect(ids, say(`after rotating, IAM lists: ${ids.join(", ") || "no keys"}`, `después de rotar, IAM lista: ${ids.join(", ") || "ninguna clave"}`)).toEqual([newKey.accessKeyId]);
  });

  test(say("step 7: rotateAccessKey keeps the old key when the switch fails", "step 7: rotateAccessKey conserva la clave vieja cuando el cambio falla"), async () => {
    const { userName } = await newUser();
    const old = await newAccessKey(userName);
    const failure = say("the application could not use the new key", "la aplicación no pudo usar la clave nueva");
    const outcome = await lesson
      .rotateAccessKey(iam, userName, old.accessKeyId, async () => {
        throw new Error(failure);
      })
      .then(
        () => say("rotateAccessKey returned", "rotateAccessKey terminó sin error"),
        (err: Error) => err,
      );
    if (outcome instanceof NotImplementedError) throw outcome;
    expect(String(outcome), say("a failed switch should reach the caller as an error", "un cambio fallido debería llegarle a quien llama como un error")).toContain(failure);
    const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    const oldKey = (AccessKeyMetadata ?? []).find((k) => k.AccessKeyId === old.accessKeyId);
    expect(oldKey?.Status, say("until the application runs on the new key, the old key stays Active", "hasta que la aplicación funcione con la clave nueva, la vieja sigue Active")).toBe("Active");
  });
});

describe(say("signing a request by hand (stretch)", "firmar una solicitud a mano (extra)"), () => {
  test(say("step 9: signGetCallerIdentity signs an STS Query request with SigV4 and the key's secret", "step 9: signGetCallerIdentity firma una solicitud Query a STS con SigV4 y la clave secreta"), async () => {
    const key = { accessKeyId: "AKIAWORKSHOPEXAMPLE1", secretAccessKey: "not-a-real-secret-just-for-signing" };
    const signed = await lesson.signGetCallerIdentity(key, endpoint, region);
    expect(signed.method).toBe("POST");
    const theBody = say(`the body is: ${String(signed.body)}`, `el cuerpo es: ${String(signed.body)}`);
    expect(new URLSearchParams(String(signed.body)).get("Action"), theBody).toBe("GetCallerIdentity");
    expect(new URLSearchParams(String(signed.body)).get("Version"), theBody).toBe("2011-06-15");
    const auth = signed.headers.authorization ?? signed.headers.Authorization ?? "";
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    expect(match, say(`the Authorization header is: ${auth || "missing"}`, `el encabezado Authorization es: ${auth || "(falta)"}`)).not.toBeNull();
    const [, keyId, , scopeRegion, service, signedHeaders] = match!;
    expect(keyId, say("the key id travels in the header", "el ID de clave de acceso viaja en el encabezado")).toBe(key.accessKeyId);
    expect(scopeRegion, say("the signature is scoped to the region", "la firma queda acotada a la región")).toBe(region);
    expect(service, say("the signature is scoped to the service", "la firma queda acotada al servicio")).toBe("sts");
    expect(signedHeaders.split(";"), say("the host is signed, so the request cannot be sent elsewhere", "el host va firmado, así que la solicitud no se puede mandar a otro lado")).toContain("host");
    expect(auth, say("the secret signs; it is never sent", "la clave secreta firma; nunca se manda")).not.toContain(key.secretAccessKey);

    // Check the signature independently, from what the learner signed (its SignedHeaders, its date), with
    // AWS's documented algorithm: only the right secret gives the same signature.
    const date = signed.headers["x-amz-date"] ?? "";
    expect(date, say("SignatureV4 dates the request in the x-amz-date header", "SignatureV4 pone la fecha de la solicitud en el encabezado x-amz-date")).toMatch(/^\d{8}T\d{6}Z$/);
    noProblem(sigV4Problem(signed, key.secretAccessKey), say("the signature should be SigV4's, made with the key's secret", "la firma debería ser la de SigV4, hecha con la clave secreta"));
  });

  test(say("lesson: the signature check accepts every valid SigV4 signature, and only those", "lesson: la verificación de firmas acepta toda firma SigV4 válida, y solo esas"), async () => {
    const key = { accessKeyId: "AKIAWORKSHOPEXAMPLE1", secretAccessKey: "not-a-real-secret-just-for-signing" };
    // As the SDK signs by default (with x-amz-content-sha256), and as the AWS CLI signs for STS
    // (content-type;host;x-amz-date, no payload header): both are valid for STS.
    for (const applyChecksum of [true, false]) {
      const request = await signForTest(key, { applyChecksum });
      noProblem(sigV4Problem(request, key.secretAccessKey), say(`signed with applyChecksum: ${applyChecksum}`, `firmada con applyChecksum: ${applyChecksum}`));
    }
    const wrong = await signForTest({ ...key, secretAccessKey: "another-secret" });
    expect(sigV4Problem(wrong, key.secretAccessKey), say("a signature made with another secret is refused", "una firma hecha con otra clave secreta se rechaza")).toBeDefined();
  });

  test(say("step 10: fetchCallerArn sends a signed request and reads the Arn from STS's XML", "step 10: fetchCallerArn manda una solicitud firmada y lee el Arn del XML de STS"), async () => {
    const { userName, arn } = await newUser();
    const key = await newAccessKey(userName);
    const request = await signForTest(key);
    const got = await lesson.fetchCallerArn(request);
    expect(got, say("STS should answer with the ARN of the user whose key signed the request", "STS debería responder con el ARN del usuario cuya clave firmó la solicitud")).toBe(arn);
  });

  test(say("step 10: fetchCallerArn names its error after STS's error code", "step 10: fetchCallerArn le da a su error el nombre del código de error de STS"), async () => {
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
        (arn) => new Error(say(`no error, but the ARN ${arn}`, `ningún error, sino el ARN ${arn}`)),
        (err: Error) => err,
      );
      if (error instanceof NotImplementedError) throw error;
      expect(error.name, say(`STS answered 403 InvalidClientTokenId; fetchCallerArn threw ${error.name}: ${error.message}`, `STS respondió 403 InvalidClientTokenId; fetchCallerArn lanzó ${error.name}: ${error.message}`)).toBe("InvalidClientTokenId");
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

describe(say("key pairs (stretch)", "pares de claves (extra)"), () => {
  test(say("step 11: toOpenSshPublicKey writes the same line as ssh-keygen", "step 11: toOpenSshPublicKey escribe la misma línea que ssh-keygen"), () => {
    const line = lesson.toOpenSshPublicKey(vectorKey, "vector");
    expect(line, say("expected the line ssh-keygen wrote for this key", "se esperaba la línea que escribió ssh-keygen para esta clave")).toBe(`${VECTOR.line} vector`);
  });

  test(say("step 11: the key blob is string \"ssh-ed25519\" then the raw 32-byte key, each length-prefixed", "step 11: el blob de la clave es el string \"ssh-ed25519\" y después la clave cruda de 32 bytes, cada uno precedido por su longitud"), () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const blob = lesson.sshPublicKeyBlob(publicKey);
    const fields = readSshStrings(blob);
    expect(fields.map((f) => f.length), say(`the blob holds fields of these lengths`, `el blob tiene campos de estas longitudes`)).toEqual([11, 32]);
    expect(fields[0].toString()).toBe("ssh-ed25519");
    expect(fields[1].toString("base64url"), say("the second field is the raw public key", "el segundo campo es la clave pública cruda")).toBe(publicKey.export({ format: "jwk" }).x);
  });

  test(say("step 12: sshFingerprint is the base64 SHA-256 that AWS documents (and ssh-keygen prints)", "step 12: sshFingerprint es el SHA-256 en base64 que documenta AWS (y que imprime ssh-keygen)"), () => {
    expect(lesson.sshFingerprint(vectorKey)).toBe(VECTOR.fingerprint);
  });

  test(say("step 13: importKeyPair hands EC2 the public key; the emulator's fingerprint is one recipe or the other", "step 13: importKeyPair le da a EC2 la clave pública; la huella digital del emulador sigue una receta o la otra"), async () => {
    const keyName = uniqueName("t-laptop");
    keyPairs.add(keyName);
    const pair = await lesson.importKeyPair(ec2, keyName, `${VECTOR.line} vector`);
    expect(pair.keyName).toBe(keyName);
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName], IncludePublicKey: true }));
    const described = KeyPairs?.[0];
    expect(pair.keyPairId, say("importKeyPair should return the KeyPairId EC2 gave", "importKeyPair debería devolver el KeyPairId que dio EC2")).toBe(described?.KeyPairId);
    expect(described?.PublicKey ?? "", say("EC2 holds the public key you sent", "EC2 guarda la clave pública que mandaste")).toContain(VECTOR.line.split(" ")[1]);
    expect(described?.Tags ?? [], say(`the key pair's tags are: ${JSON.stringify(described?.Tags ?? [])}`, `las etiquetas del par de claves son: ${JSON.stringify(described?.Tags ?? [])}`)).toContainEqual({
      Key: "workshop",
      Value: "no-toca-boton",
    });
    // AWS reports base64(SHA-256(blob)); moto 5.2 (and LocalStack, which uses moto's key pairs) reports
    // the hex SHA-256 of the DER SubjectPublicKeyInfo. Both are recomputed here from the public key.
    const recipes = [awsFingerprint(VECTOR.line), motoFingerprint(vectorKey)];
    expect(recipes, say(`the emulator reported ${pair.fingerprint}`, `el emulador informó ${pair.fingerprint}`)).toContain(pair.fingerprint);
    expect(described?.KeyFingerprint, say("ImportKeyPair and DescribeKeyPairs agree", "ImportKeyPair y DescribeKeyPairs coinciden")).toBe(pair.fingerprint);
  });

  test(say("step 14: createKeyPair saves the private key AWS made in a .pem only its owner can read", "step 14: createKeyPair guarda la clave privada que hizo AWS en un .pem que solo su dueño puede leer"), async () => {
    const keyName = uniqueName("t-aws-made");
    keyPairs.add(keyName);
    const created = await lesson.createKeyPair(ec2, keyName, pemDir);
    expect(created.pemPath.startsWith(pemDir), say(`the .pem should be saved in ${pemDir}, not ${created.pemPath}`, `el .pem debería guardarse en ${pemDir}, no en ${created.pemPath}`)).toBe(true);
    const pem = await readFile(created.pemPath, "utf8");
    expect(pem, say("the file holds the private key", "el archivo tiene la clave privada")).toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    if (process.platform !== "win32") {
      const mode = (await stat(created.pemPath)).mode & 0o777;
      expect(mode.toString(8), say("the private key must be readable by its owner only (chmod 600)", "la clave privada tiene que poder leerla solo su dueño (chmod 600)")).toBe("600");
    }
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    expect(created.keyPairId).toBe(KeyPairs?.[0]?.KeyPairId);
    expect(created.fingerprint).toBe(KeyPairs?.[0]?.KeyFingerprint);
  });
});

describe(say("clean up", "limpieza"), () => {
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
    expect(user, say("the user should be gone", "el usuario ya no debería existir")).toMatch(/NoSuchEntity/);
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn })).then(
      () => "still there",
      (err: Error) => err.name,
    );
    expect(policy, say("the user's own policy should be deleted with it", "la política propia del usuario debería borrarse con él")).toMatch(/NoSuchEntity/);
  }

  test(say("step 8: deleteUser removes the user's access keys, its own policy and the user", "step 8: deleteUser borra las claves de acceso del usuario, su política propia y el usuario"), async () => {
    const { userName, policyArn } = await userWithKeysAndPolicy();
    await lesson.deleteUser(iam, userName);
    await expectGone(userName, policyArn);
  });

  test(say("step 8: deleteUser empties the user before DeleteUser, in the order AWS requires", "step 8: deleteUser vacía el usuario antes de DeleteUser, en el orden que exige AWS"), async () => {
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
    expect(deleteUser, say(`deleteUser should send DeleteUser; it sent:\n  ${shown}`, `deleteUser debería mandar DeleteUser; mandó:\n  ${shown}`)).toBeGreaterThanOrEqual(0);
    for (const keyId of keyIds) {
      const deleted = last("DeleteAccessKey", (input) => input.AccessKeyId === keyId);
      const beforeDeleteUser = say(`access key ${keyId} should be deleted before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`, `la clave de acceso ${keyId} debería borrarse antes de DeleteUser (AWS: DeleteConflict); mandó:\n  ${shown}`);
      expect(deleted, beforeDeleteUser).toBeGreaterThanOrEqual(0);
      expect(deleted, beforeDeleteUser).toBeLessThan(deleteUser);
    }
    const detached = last("DetachUserPolicy", (input) => input.PolicyArn === policyArn);
    const policyDeleted = last("DeletePolicy", (input) => input.PolicyArn === policyArn);
    const detachedFirst = say(`the policy should be detached before DeleteUser (AWS: DeleteConflict); it sent:\n  ${shown}`, `la política debería desasociarse antes de DeleteUser (AWS: DeleteConflict); mandó:\n  ${shown}`);
    expect(detached, detachedFirst).toBeGreaterThanOrEqual(0);
    expect(detached, detachedFirst).toBeLessThan(deleteUser);
    expect(policyDeleted, say(`the policy should be detached before DeletePolicy (AWS: DeleteConflict); it sent:\n  ${shown}`, `la política debería desasociarse antes de DeletePolicy (AWS: DeleteConflict); mandó:\n  ${shown}`)).toBeGreaterThan(detached);
  });

  test(say("step 8: deleteUser still cleans up when IAM fails a call once (a 500 the SDK retries)", "step 8: deleteUser limpia igual cuando IAM hace fallar una llamada una vez (un 500 que el SDK reintenta)"), async () => {
    const { userName, policyArn } = await userWithKeysAndPolicy();
    const faults = injectFaults([
      { service: "IAM", operation: "DeleteAccessKey", fault: "server-error", times: 1, from: "lesson" },
      { service: "IAM", operation: "DetachUserPolicy", fault: "throttle", times: 1, from: "lesson" },
    ]);
    await lesson.deleteUser(iam, userName);
    expect(faults.injected.length, say("the faults were injected", "las fallas se inyectaron")).toBeGreaterThan(0);
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
  if (!auth) return say(`the Authorization header is not SigV4's: ${headers.authorization ?? "missing"}`, `el encabezado Authorization no es de SigV4: ${headers.authorization ?? "(falta)"}`);
  const [, , day, scopeRegion, service, signedHeaderList, signature] = auth;
  const amzDate = headers["x-amz-date"] ?? "";
  if (!amzDate.startsWith(day)) return say(`the credential's date ${day} is not the request's x-amz-date ${amzDate}`, `la fecha de la credencial, ${day}, no es la del x-amz-date de la solicitud, ${amzDate}`);
  const signedHeaders = signedHeaderList.split(";");
  const missing = signedHeaders.filter((name) => !(name in headers));
  if (missing.length > 0) return say(`SignedHeaders lists ${missing.join(", ")}, which the request does not carry`, `SignedHeaders nombra ${missing.join(", ")}, que la solicitud no trae`);
  const body = String(request.body ?? "");
  const payloadHash = createHash("sha256").update(body).digest("hex");
  if (headers["x-amz-content-sha256"] && headers["x-amz-content-sha256"] !== payloadHash) return say("x-amz-content-sha256 is not the body's hash", "x-amz-content-sha256 no es el hash del cuerpo");
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
  return expected === signature ? undefined : say("the signature does not match the one the key's secret gives for what was signed", "la firma no coincide con la que da la clave secreta para lo que se firmó");
}

/** Fails the check with the whole sentence (an assertion would cut a long message short); both parts are already in the learner's language. */
function noProblem(problem: string | undefined, what: string): void {
  if (problem) throw new Error([what, problem].join(": "));
}

/** Recorded calls, one a line: "IAM.DeleteAccessKey AKIA… (ok)". */
function callList(calls: RecordedCall[]): string {
  if (calls.length === 0) return say("(nothing)", "(nada)");
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
