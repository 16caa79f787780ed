// The room's front door: an HTTP reverse proxy in front of the room's emulator. It lets in only
// requests signed with a room attendee's credentials (checked by signing them again, see sigv4.ts),
// and sends each one into that attendee's own account, whatever account the request claims.
// It also takes attendees in (POST /_room/join with the room code) and their checks' reports
// (POST /_room/report, signed like any AWS request) for the instructor's page.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { accountOf, attendeeId, codeMatches, credentialsOf, type Attendee, type RoomState } from "./room";
import { verifySignature, type SignedRequest } from "./sigv4";
import { lang, t, type Lang } from "../i18n";

/** The language of the laptop that asked (`joinRoom` says it in x-workshop-lang), else this process's own. */
export const LANG_HEADER = "x-workshop-lang";
function askerLang(req: IncomingMessage): Lang {
  const asked = req.headers[LANG_HEADER];
  return asked === "es" || asked === "en" ? asked : lang();
}

/** What an attendee's check tells the room: never code, never credentials. */
export interface CheckReport {
  lesson: string;
  target: "exercise" | "solution";
  ok: boolean;
  passed: number;
  failed: number;
  /** The next TODO to do, when a failing test ran into one. */
  nextTodo?: number;
  /** The name of the first failing test. */
  failingTest?: string;
}

export interface JoinAnswer {
  code: string;
  id: string;
  name: string;
  account: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface DoorOptions {
  room: RoomState;
  /** Called after the room changed (someone joined), to keep it on disk. */
  save(room: RoomState): void;
  /** The emulator behind the door, on this machine: http://127.0.0.1:PORT. */
  emulator: string;
  host: string;
  port: number;
  onJoin?(attendee: Attendee): void;
  onReport?(attendee: Attendee, report: CheckReport): void;
  onRefused?(reason: string): void;
}

export interface Door {
  /** http://HOST:PORT as bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The largest body the door takes (a multipart upload's part is 5 MiB in the lessons). */
const MAX_BODY = 64 * 1024 * 1024;
// The door reads the whole body before it forwards it, so the emulator never needs to say "100 Continue".
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "expect"]);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An error in the shape the AWS SDK parses for the service asked, so that it shows the code as
 * the error's name and the sentence as its message: JSON for JSON services (DynamoDB, SQS),
 * <Error> for S3, <ErrorResponse> (and EC2's <Errors>) for the query services.
 */
export function sendAwsError(req: IncomingMessage, body: Buffer, res: ServerResponse, status: number, code: string, message: string): void {
  const contentType = String(req.headers["content-type"] ?? "");
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
  res.setHeader("x-amzn-errortype", code);
  res.setHeader("x-amzn-requestid", "room-door");
  if (req.headers["x-amz-target"] || contentType.includes("x-amz-json") || contentType.includes("application/json")) {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
    res.end(JSON.stringify({ __type: code, message }));
  } else if (service !== "s3" && (body.subarray(0, 4096).toString().includes("Action=") || /[?&]Action=/.test(req.url ?? ""))) {
    const error = `<Code>${code}</Code><Message>${escapeXml(message)}</Message>`;
    res.writeHead(status, { "content-type": "text/xml" });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>${error}</Error><Errors><Error>${error}</Error></Errors><RequestId>room-door</RequestId></ErrorResponse>`);
  } else {
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(req.method === "HEAD" ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>room-door</RequestId></Error>`);
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

export async function openDoor(options: DoorOptions): Promise<Door> {
  const { room } = options;
  const target = new URL(options.emulator);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** Access key id → attendee id, for the room's own credentials. */
  const roomKeys = new Map<string, string>();
  /** Keys an attendee made with IAM CreateAccessKey in their account (lesson 01): id → secret and owner. */
  const learnedKeys = new Map<string, { secret: string; attendee: string }>();
  const failedJoins = new Map<string, number[]>();
  const addKey = (a: Attendee) => roomKeys.set(credentialsOf(room, a.id).accessKeyId, a.id);
  for (const a of Object.values(room.attendees)) addKey(a);

  const secretFor = (keyId: string) => {
    const id = roomKeys.get(keyId);
    if (id) return credentialsOf(room, id).secretAccessKey;
    return learnedKeys.get(keyId)?.secret;
  };
  const ownerOf = (keyId: string) => room.attendees[roomKeys.get(keyId) ?? learnedKeys.get(keyId)?.attendee ?? ""];

  function refuse(req: IncomingMessage, body: Buffer, res: ServerResponse, status: number, code: string, why: string): void {
    options.onRefused?.(`${code}: ${why}`);
    sendAwsError(req, body, res, status, code, t("classroom.door.refused", { why, code: room.code }, askerLang(req)));
  }

  async function join(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const language = askerLang(req);
    const from = req.socket.remoteAddress ?? "?";
    const recent = (failedJoins.get(from) ?? []).filter((t) => t > Date.now() - 60_000);
    if (recent.length >= 10) return sendJson(res, 429, { error: t("classroom.door.tooManyCodes", {}, language) });
    let input: { code?: unknown; name?: unknown };
    try {
      input = JSON.parse(body.toString("utf8")) as typeof input;
    } catch {
      return sendJson(res, 400, { error: t("classroom.door.notJson", {}, language) });
    }
    if (typeof input.code !== "string" || !codeMatches(room, input.code)) {
      failedJoins.set(from, [...recent, Date.now()]);
      return sendJson(res, 403, { error: t("classroom.door.wrongCode", {}, language) });
    }
    const name = typeof input.name === "string" ? input.name.trim().slice(0, 40) : "";
    const id = attendeeId(name);
    if (!id) return sendJson(res, 400, { error: t("classroom.door.noName", {}, language) });
    if (room.attendees[id]) {
      // The same name twice would give the second laptop the first one's account.
      return sendJson(res, 409, { error: t("classroom.door.nameTaken", { name, id }, language) });
    }
    const taken = new Set(Object.values(room.attendees).map((a) => a.account));
    const attendee: Attendee = { id, name, account: accountOf(room, id, taken), joinedAt: new Date().toISOString() };
    room.attendees[id] = attendee;
    addKey(attendee);
    options.save(room);
    options.onJoin?.(attendee);
    const answer: JoinAnswer = { code: room.code, id, name, account: attendee.account, ...credentialsOf(room, id) };
    sendJson(res, 200, answer);
  }

  async function report(attendee: Attendee, body: Buffer, res: ServerResponse): Promise<void> {
    let input: Partial<CheckReport>;
    try {
      input = JSON.parse(body.toString("utf8")) as Partial<CheckReport>;
    } catch {
      return sendJson(res, 400, { error: "not JSON" });
    }
    if (typeof input.lesson !== "string" || !/^[0-9]{2}-[a-z0-9-]+$/.test(input.lesson)) return sendJson(res, 400, { error: "no lesson" });
    const count = (n: unknown) => (typeof n === "number" && Number.isInteger(n) && n >= 0 ? Math.min(n, 10_000) : 0);
    const clean: CheckReport = {
      lesson: input.lesson,
      target: input.target === "solution" ? "solution" : "exercise",
      ok: input.ok === true,
      passed: count(input.passed),
      failed: count(input.failed),
      ...(typeof input.nextTodo === "number" ? { nextTodo: count(input.nextTodo) } : {}),
      ...(typeof input.failingTest === "string" ? { failingTest: input.failingTest.slice(0, 200) } : {}),
    };
    options.onReport?.(attendee, clean);
    sendJson(res, 200, { ok: true });
  }

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, attendee: Attendee, accessKeyId: string, service: string): void {
    const learned = learnedKeys.has(accessKeyId);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      // Whatever account the request claims, it goes to its signer's own account.
      if (HOP_BY_HOP.has(name) || name.startsWith("x-moto-account-id") || value === undefined) continue;
      headers[name] = value;
    }
    headers["x-moto-account-id"] = attendee.account;
    headers["content-length"] = String(body.length);
    let path = req.url ?? "/";
    if (!learned) {
      // LocalStack takes a 12-digit access key id as the account: tell it the attendee's.
      // (Neither emulator checks signatures; the door already did.)
      if (typeof headers.authorization === "string") headers.authorization = headers.authorization.replace(`Credential=${accessKeyId}/`, `Credential=${attendee.account}/`);
      path = path.replace(`X-Amz-Credential=${accessKeyId}%2F`, `X-Amz-Credential=${attendee.account}%2F`);
    }
    const form = service === "iam" ? new URLSearchParams(body.toString("utf8")) : undefined;
    const createsKey = form?.get("Action") === "CreateAccessKey";
    const deletesKey = form?.get("Action") === "DeleteAccessKey" ? form.get("AccessKeyId") : null;
    const upstream = http.request(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path, headers, agent },
      (answer) => {
        const ok = (answer.statusCode ?? 500) < 300;
        if (deletesKey && ok) learnedKeys.delete(deletesKey);
        if (createsKey && ok) {
          // Remember a key the attendee made (lesson 01 signs requests with it), as theirs.
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            const xml = Buffer.concat(chunks);
            const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml.toString())?.[1];
            const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml.toString())?.[1];
            if (id && secret && !roomKeys.has(id)) learnedKeys.set(id, { secret, attendee: attendee.id });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(xml);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (res.headersSent) return res.destroy();
      sendAwsError(req, body, res, 503, "ServiceUnavailable", t("classroom.door.emulatorDown", { why: err.message }, askerLang(req)));
    });
    upstream.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return refuse(req, Buffer.alloc(0), res, 413, "EntityTooLarge", t("classroom.door.tooLarge", {}, askerLang(req)));
    }
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/_room/join") return join(req, body, res);
    // The workshop's ping (is anything there?) gets an answer that says nothing and is not counted as refused.
    if (req.method === "GET" && path === "/_localstack/health") return sendJson(res, 200, { door: t("classroom.door.health", {}, askerLang(req)) });
    const signed: SignedRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body };
    const verdict = await verifySignature(signed, secretFor);
    if (!verdict.ok) {
      return refuse(req, body, res, 403, verdict.code, verdict.message);
    }
    const keyId = verdict.signature.accessKeyId;
    const attendee = ownerOf(keyId);
    if (!attendee) return refuse(req, body, res, 403, "InvalidClientTokenId", t("classroom.door.unknownKey", {}, askerLang(req)));
    if (path === "/_room/report" && req.method === "POST") return report(attendee, body, res);
    if (path === "/_room/hello") return sendJson(res, 200, { code: room.code, name: attendee.name, account: attendee.account });
    const service = verdict.signature.service;
    if (!attendee.services?.includes(service)) {
      attendee.services = [...(attendee.services ?? []), service];
      options.save(room);
    }
    forward(req, body, res, attendee, keyId, service);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: err.message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
