// What an attendee's laptop does with a room: join it with the code on the projector, say hello
// (a signed request proves the credentials work), and report each check's verdict to the
// instructor's page. A report carries the lesson, the counts, the next TODO and the failing
// test's name: never code, never credentials.
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { CheckReport, JoinAnswer } from "./door";
import { joinedRoom, type JoinedRoom } from "./joined";
import { LANG_HEADER } from "./door";
import { lang, t } from "../i18n";

/** The door's port when the join code names none. */
export const DEFAULT_DOOR_PORT = 4566;

export class JoinError extends Error {
  override name = "JoinError";
}

/**
 * Reads a join code: `K7QX2M@192.168.1.20:4566` (as on the projector), `http://192.168.1.20:4566/K7QX2M`,
 * or a bare `K7QX2M` for a room on this machine.
 */
export function parseJoinCode(text: string): { code: string; endpoint: string } {
  const value = text.trim();
  const url = /^https?:\/\//i.test(value) ? new URL(value) : undefined;
  if (url) {
    const code = url.pathname.replace(/^\/+|\/+$/g, "");
    if (!code) throw new JoinError(t("classroom.join.noCode", { value }));
    return { code: code.toUpperCase(), endpoint: url.origin };
  }
  const [code, address] = value.split("@");
  if (!/^[A-Za-z0-9]{4,12}$/.test(code ?? "")) throw new JoinError(t("classroom.join.badCode", { value }));
  const host = address || "127.0.0.1";
  const endpoint = new URL(`http://${/:\d+$/.test(host) ? host : `${host}:${DEFAULT_DOOR_PORT}`}`).origin;
  return { code: code.toUpperCase(), endpoint };
}

async function answerOf(response: Response): Promise<{ error?: string } & Record<string, unknown>> {
  try {
    return (await response.json()) as { error?: string };
  } catch {
    return { error: t("classroom.join.notRoom", { status: response.status }) };
  }
}

/** Joins the room: proves the room code, claims the name, and receives the attendee's own credentials. */
export async function joinRoom(joinCode: string, name: string): Promise<JoinedRoom> {
  const { code, endpoint } = parseJoinCode(joinCode);
  let response: Response;
  try {
    response = await fetch(`${endpoint}/_room/join`, { method: "POST", headers: { "content-type": "application/json", [LANG_HEADER]: lang() }, body: JSON.stringify({ code, name }), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const why = (err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message;
    throw new JoinError(t("classroom.join.nothing", { endpoint, why }));
  }
  const answer = await answerOf(response);
  if (!response.ok) throw new JoinError(t("classroom.join.refused", { why: answer.error ?? `HTTP ${response.status}` }));
  const a = answer as unknown as JoinAnswer;
  return { code: a.code, endpoint, name: a.name, id: a.id, account: a.account, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, joinedAt: new Date().toISOString() };
}

/** A request to the door signed with the attendee's credentials, as any AWS request is. */
export async function signedFetch(room: JoinedRoom, path: string, init: { method: string; body?: string; timeoutMs?: number }): Promise<Response> {
  const url = new URL(path, room.endpoint);
  const signer = new SignatureV4({ credentials: { accessKeyId: room.accessKeyId, secretAccessKey: room.secretAccessKey }, region: "us-east-1", service: "workshop", sha256: Sha256 });
  const request = await signer.sign(
    new HttpRequest({
      method: init.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port) || undefined,
      path: url.pathname,
      headers: { host: url.host, "content-type": "application/json", [LANG_HEADER]: lang() },
      body: init.body,
    }),
  );
  const { host: _host, ...headers } = request.headers;
  return fetch(url, { method: init.method, headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs ?? 5000) });
}

/** Asks the door who we are: proves that the credentials work. */
export async function hello(room: JoinedRoom): Promise<{ code: string; name: string; account: string }> {
  const response = await signedFetch(room, "/_room/hello", { method: "GET" });
  if (!response.ok) throw new JoinError(t("classroom.join.badCredentials", { status: response.status }));
  return (await response.json()) as { code: string; name: string; account: string };
}

interface CheckLike {
  lesson: string;
  target: "exercise" | "solution";
  ok: boolean;
  passed: number;
  failed: number;
  nextTodo?: { n: number };
  failures: Array<{ test: string }>;
}

/** Tells the room how a check went, if this laptop is in a room. Never throws, never waits long. */
export async function reportCheck(result: CheckLike, room = joinedRoom()): Promise<void> {
  if (!room) return;
  const report: CheckReport = {
    lesson: result.lesson,
    target: result.target,
    ok: result.ok,
    passed: result.passed,
    failed: result.failed,
    ...(result.nextTodo ? { nextTodo: result.nextTodo.n } : {}),
    ...(result.failures[0] ? { failingTest: result.failures[0].test } : {}),
  };
  try {
    await signedFetch(room, "/_room/report", { method: "POST", body: JSON.stringify(report), timeoutMs: 2000 });
  } catch {
    // The instructor's page misses one verdict; the attendee's check is what matters.
  }
}
