// The room, end to end on a real moto: the door lets in only the room's attendees, each into an
// account of their own (whatever the request claims), and holds thirty attendees at once;
// `classroom end` leaves nothing behind.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { EC2Client, DescribeKeyPairsCommand } from "@aws-sdk/client-ec2";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { clientConfig } from "../clients";
import { endRoom } from "../cli/classroom";
import { openRoom, type OpenRoom } from ".";
import { joinRoom, parseJoinCode, reportCheck } from "./attendee";
import { roomCredentials, type JoinedRoom } from "./joined";
import { readRoomState } from "./room";
import { ROOT } from "../paths";
import { s3For, simulateLesson04 } from "./simulate";

let room: OpenRoom;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nt-classroom-"));
  room = await openRoom({ host: "127.0.0.1", port: 0, kind: "moto", fresh: true, file: join(dir, "classroom.json") });
});

afterAll(async () => {
  await room?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client straight to the emulator behind the door, in one account: what the instructor's machine sees. */
function behindTheDoor(account: string): S3Client {
  const s3 = new S3Client({ ...clientConfig({ ...process.env, AWS_ENDPOINT_URL: room.emulator.endpoint }) });
  s3.middlewareStack.add((next) => async (args) => {
    (args.request as { headers: Record<string, string> }).headers["x-moto-account-id"] = account;
    return next(args);
  }, { step: "build", name: "account" });
  return s3;
}

function withCredentials<C>(Client: new (config: never) => C, credentials: { accessKeyId: string; secretAccessKey: string }, maxAttempts = 1): C {
  return new Client({ ...clientConfig({ ...process.env, AWS_ENDPOINT_URL: room.localDoor }), credentials, maxAttempts } as never);
}

const nameOf = (err: unknown) => (err as Error).name;

describe("the front door", () => {
  let ana: JoinedRoom;
  let beto: JoinedRoom;

  beforeAll(async () => {
    ana = await joinRoom(room.joinCode, "Ana");
    beto = await joinRoom(room.joinCode, "Beto");
  });

  test("join: the room code is checked, a name is claimed once, and the credentials are kept 0600", async () => {
    await expect(joinRoom(`XXXXXX@127.0.0.1:${new URL(room.localDoor).port}`, "carla")).rejects.toThrow(/not this room's code/);
    await expect(joinRoom(room.joinCode, "ana")).rejects.toThrow(/already taken/);
    // The door answers a join in the language of the laptop that asked (joinRoom says it in a header).
    const door = new URL(room.localDoor);
    const asked = await fetch(`${door.origin}/_room/join`, { method: "POST", headers: { "content-type": "application/json", "x-workshop-lang": "es" }, body: JSON.stringify({ code: room.state.code, name: "ana" }) });
    expect(asked.status).toBe(409);
    expect(((await asked.json()) as { error: string }).error).toMatch(/^El nombre "ana" ya está tomado en esta sala\. Entrá con otro nombre \(--name ana2\)/);
    expect(ana.account).toMatch(/^\d{12}$/);
    expect(ana.account).not.toBe(beto.account);
    expect(ana.accessKeyId).not.toBe(beto.accessKeyId);
    const state = readRoomState(join(dir, "classroom.json"))!;
    expect(Object.keys(state.attendees).sort()).toEqual(["ana", "beto"]);
    expect(JSON.stringify(state), "the room's file holds no attendee secret").not.toContain(ana.secretAccessKey);
    expect(statSync(join(dir, "classroom.json")).mode & 0o777).toBe(0o600);
  });

  test("requests without the room's credentials are refused before they reach the emulator, in words the SDK shows", async () => {
    const plain = await fetch(room.localDoor + "/");
    expect(plain.status).toBe(403);
    expect(await plain.text()).toMatch(/<Code>MissingAuthenticationToken<\/Code>.*npm start -- join/s);

    const dummy = { accessKeyId: "test", secretAccessKey: "test" };
    const tries: Array<[string, () => Promise<unknown>]> = [
      ["S3", () => withCredentials(S3Client, dummy).send(new CreateBucketCommand({ Bucket: "nt-intruder-1" }))],
      ["SQS", () => withCredentials(SQSClient, dummy).send(new ListQueuesCommand({}))],
      ["DynamoDB", () => withCredentials(DynamoDBClient, dummy).send(new ListTablesCommand({}))],
      ["EC2", () => withCredentials(EC2Client, dummy).send(new DescribeKeyPairsCommand({}))],
      ["STS", () => withCredentials(STSClient, dummy).send(new GetCallerIdentityCommand({}))],
    ];
    for (const [service, attempt] of tries) {
      const err = await attempt().then(() => undefined, (e: Error) => e);
      expect(err, `${service} with the dummy credentials`).toBeDefined();
      expect(nameOf(err), `${service}'s error name`).toBe("InvalidClientTokenId");
      expect((err as Error).message, `${service}'s error message`).toMatch(/not one of this room's.*npm start -- join/s);
    }
    // The refused CreateBucket never reached moto: no account behind the door has the bucket.
    for (const account of ["123456789012", ana.account, beto.account]) {
      const { Buckets = [] } = await behindTheDoor(account).send(new ListBucketsCommand({}));
      expect(Buckets.map((b) => b.Name)).not.toContain("nt-intruder-1");
    }
    // The right key id with the wrong secret.
    const wrong = await withCredentials(S3Client, { accessKeyId: ana.accessKeyId, secretAccessKey: "guessed" }).send(new ListBucketsCommand({})).catch((e: Error) => e);
    expect(nameOf(wrong)).toBe("SignatureDoesNotMatch");
  });

  test("each attendee is in an account of their own, and forging another's account does not reach it", async () => {
    const s3a = s3For(ana);
    const s3b = s3For(beto);
    await s3a.send(new CreateBucketCommand({ Bucket: `nt-ana-${Date.now()}` }));
    await s3a.send(new PutObjectCommand({ Bucket: (await s3a.send(new ListBucketsCommand({}))).Buckets![0].Name, Key: "secret.txt", Body: "ana's" }));
    expect((await s3b.send(new ListBucketsCommand({}))).Buckets ?? [], "beto sees none of ana's buckets").toEqual([]);

    // Beto claims ana's account with moto's header: the door sends him to his own anyway.
    const forged = s3For(beto);
    forged.middlewareStack.add((next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers["x-moto-account-id"] = ana.account;
      return next(args);
    }, { step: "build", name: "forge" });
    expect((await forged.send(new ListBucketsCommand({}))).Buckets ?? [], "a forged x-moto-account-id").toEqual([]);

    // Beto signs with ana's access key id (LocalStack's account) but only knows his own secret.
    const asAna = await withCredentials(S3Client, { accessKeyId: ana.accessKeyId, secretAccessKey: beto.secretAccessKey }).send(new ListBucketsCommand({})).catch((e: Error) => e);
    expect(nameOf(asAna)).toBe("SignatureDoesNotMatch");
    const asAccount = await withCredentials(S3Client, { accessKeyId: ana.account, secretAccessKey: beto.secretAccessKey }).send(new ListBucketsCommand({})).catch((e: Error) => e);
    expect(nameOf(asAccount)).toBe("InvalidClientTokenId");

    // STS says who the door made of each: their own account.
    const who = await withCredentials(STSClient, ana).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(ana.account);
  });

  test("a key an attendee makes with IAM (lesson 01) speaks for that user, in their account only, until deleted", async () => {
    const iam = withCredentials(IAMClient, ana);
    const userName = `nt-door-user-${Date.now()}`;
    const { User } = await iam.send(new CreateUserCommand({ UserName: userName }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
    try {
      const who = await withCredentials(STSClient, key).send(new GetCallerIdentityCommand({}));
      expect(who.Arn, "STS answers as the user whose key signed").toBe(User!.Arn);
      expect(who.Account).toBe(ana.account);
      expect((await withCredentials(S3Client, key).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), "the user's key sees ana's account").toEqual(
        (await s3For(ana).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name),
      );
      const forged = await withCredentials(STSClient, { ...key, secretAccessKey: "guessed" }).send(new GetCallerIdentityCommand({})).catch((e: Error) => e);
      expect(nameOf(forged)).toBe("SignatureDoesNotMatch");
    } finally {
      await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: key.accessKeyId }));
      await iam.send(new DeleteUserCommand({ UserName: userName }));
    }
    const after = await withCredentials(STSClient, key).send(new GetCallerIdentityCommand({})).catch((e: Error) => e);
    expect(nameOf(after), "a deleted key is refused at the door").toBe("InvalidClientTokenId");
  });

  test("as an attendee types it: join, then cleanup and leave go to the room, in the attendee's account only", async () => {
    const state = mkdtempSync(join(tmpdir(), "nt-attendee-"));
    // Asynchronously: the door answering the command runs in this very process.
    const cli = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, WORKSHOP_STATE_DIR: state, NO_COLOR: "1" };
        delete env.AWS_ENDPOINT_URL;
        execFile(process.execPath, ["--import", "tsx", "workshop/cli/index.ts", ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    try {
      const joined = await cli("join", room.joinCode, "--name", "Dora");
      expect(joined.status, joined.stderr).toBe(0);
      expect(joined.stdout).toMatch(/You are in room .* as Dora/);
      const file = join(state, "room.json");
      expect(statSync(file).mode & 0o777, "room.json is the attendee's alone").toBe(0o600);
      const dora = JSON.parse(readFileSync(file, "utf8")) as JoinedRoom;
      expect(joined.stdout, "the secret is never printed in full").not.toContain(dora.secretAccessKey);
      await s3For(dora).send(new CreateBucketCommand({ Bucket: `nt-dora-${Date.now()}` }));

      const dry = await cli("cleanup", "--dry-run", "--json");
      expect(dry.status, dry.stderr).toBe(0);
      const report = JSON.parse(dry.stdout) as { endpoint: string; services: Array<{ service: string; removed: string[] }> };
      expect(report.endpoint, "cleanup goes to the room's door").toBe(room.localDoor);
      const listed = report.services.flatMap((r) => r.removed);
      expect(listed.filter((what) => what.startsWith("bucket nt-dora-")), "dora's own bucket").toHaveLength(1);
      expect(listed.filter((what) => /nt-ana-/.test(what)), "nothing of ana's").toEqual([]);

      const left = await cli("leave");
      expect(left.status, left.stderr).toBe(0);
      expect(left.stdout).toMatch(/removed S3 bucket nt-dora-.*You left room/s);
      expect(existsSync(file), "leave forgets the room").toBe(false);
      expect((await s3For(dora).send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("presigned URLs are checked: the attendee's works, a tampered or expired one does not", async () => {
    const s3a = s3For(ana);
    const bucket = (await s3a.send(new ListBucketsCommand({}))).Buckets![0].Name!;
    const url = await getSignedUrl(s3a, new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }), { expiresIn: 60 });
    const good = await fetch(url);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe("ana's");
    expect((await fetch(url.replace("secret.txt", "other.txt"))).status, "a URL changed after signing").toBe(403);
    const old = await getSignedUrl(s3a, new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/RequestExpired/);
  });

  test("the room's credentials go to the room's door only", () => {
    expect(parseJoinCode("k7qx2m@192.168.1.20:4567")).toEqual({ code: "K7QX2M", endpoint: "http://192.168.1.20:4567" });
    expect(parseJoinCode("http://10.0.0.5:4566/K7QX2M")).toEqual({ code: "K7QX2M", endpoint: "http://10.0.0.5:4566" });
    expect(parseJoinCode("K7QX2M")).toEqual({ code: "K7QX2M", endpoint: "http://127.0.0.1:4566" });
    expect(() => parseJoinCode("not a code!")).toThrow(/not a join code/);
    // Without a room.json here, no endpoint gets room credentials.
    expect(roomCredentials(room.localDoor)).toBeUndefined();
  });

  test("a check's report reaches the instructor's board, signed; a forged one does not", async () => {
    await reportCheck({ lesson: "04-s3", target: "exercise", ok: false, passed: 3, failed: 8, nextTodo: { n: 4 }, failures: [{ test: "step 4: listObjects reads every page, not just the first" }] }, ana);
    const row = room.board.snapshot().attendees.find((a) => a.name === "Ana")!;
    expect(row).toMatchObject({ lesson: "04-s3", todo: 4, verdict: "failing", failingTest: "step 4: listObjects reads every page, not just the first" });
    await reportCheck({ lesson: "04-s3", target: "exercise", ok: true, passed: 11, failed: 0, failures: [] }, { ...beto, secretAccessKey: "guessed" });
    expect(room.board.snapshot().attendees.find((a) => a.name === "Beto")!.verdict, "a report with the wrong secret").toBe("no check yet");
  });
});

test("thirty attendees at once: each runs lesson 04 through the door, sees only their own, and `classroom end` leaves nothing", async () => {
  const names = Array.from({ length: 30 }, (_, i) => `attendee ${String(i + 1).padStart(2, "0")}`);
  const attendees = await Promise.all(names.map((name) => joinRoom(room.joinCode, name)));
  expect(new Set(attendees.map((a) => a.account)).size, "thirty accounts").toBe(30);

  // Every tenth also uploads lesson 04's 6 MiB in two parts (the door's largest requests), at the same time as the rest.
  const runs = await Promise.all(attendees.map((a, i) => simulateLesson04(a, { largeUpload: i % 10 === 0 })));
  for (const run of runs) {
    expect(run.failure, `${run.attendee.name}'s run of lesson 04`).toBeUndefined();
    expect(run.buckets, `${run.attendee.name} sees only their own buckets`).toEqual([run.bucket]);
  }

  const lines: string[] = [];
  const state = readRoomState(join(dir, "classroom.json"))!;
  const { removed, failed } = await endRoom(state, room.localDoor, (line) => lines.push(line));
  expect(failed, lines.join("\n")).toBe(0);
  expect(removed, lines.join("\n")).toBeGreaterThanOrEqual(30);
  expect(lines.find((l) => l.includes("attendee 07")), "end says what it removed, attendee by attendee").toContain(runs[6].bucket);

  // Behind the door, in every account the room used and in the emulator's default one: nothing.
  for (const account of ["123456789012", ...Object.values(state.attendees).map((a) => a.account)]) {
    const { Buckets = [] } = await behindTheDoor(account).send(new ListBucketsCommand({}));
    expect(Buckets.map((b) => b.Name), `account ${account} after classroom end`).toEqual([]);
  }
  // Thirty at once on two shared cores: generous, and never a measure of speed (npm run bench is).
}, 180_000);
