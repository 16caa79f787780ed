// Checks an AWS Signature Version 4 the way AWS does: by signing the same request again with the
// secret the door knows for the key id, and comparing. The secret itself never travels; only
// what it signed does (the lesson 01 point about what an access key really does).
// Covers the SDK's three forms: the Authorization header (with a body hash, S3's UNSIGNED-PAYLOAD
// or a streaming/chunked payload, whose seed signature is checked), and presigned URLs
// (the signature in the query string, lesson 04).
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { t } from "../i18n";

/** How far a request's date may be from the door's clock (AWS allows 15 minutes too). */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The path and query exactly as received on the wire. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Signature {
  accessKeyId: string;
  region: string;
  service: string;
  date: Date;
  signedHeaders: string[];
  signature: string;
  presigned: boolean;
  /** For presigned URLs: how long the URL is valid, in seconds. */
  expiresIn?: number;
}

export type Verdict =
  | { ok: true; signature: Signature }
  | { ok: false; code: "MissingAuthenticationToken" | "IncompleteSignature" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "RequestExpired"; message: string; accessKeyId?: string };

/** SHA-256 and HMAC-SHA256 from Node's own crypto, in the shape the signer asks for (a room's door hashes a lot). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

function amzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? "");
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The query string as the SDK held it before sending: names to decoded values. */
function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const part of query.split("&")) {
    if (!part) continue;
    const at = part.indexOf("=");
    const key = decodeURIComponent(at < 0 ? part : part.slice(0, at));
    const value = at < 0 ? "" : decodeURIComponent(part.slice(at + 1));
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** Reads who signed the request and how, without checking anything yet. */
export function readSignature(request: SignedRequest): Signature | { error: Verdict & { ok: false } } {
  const authorization = header(request.headers, "authorization");
  const query = request.url.includes("?") ? parseQuery(request.url.slice(request.url.indexOf("?") + 1)) : {};
  if (authorization) {
    const m = AUTH.exec(authorization.trim());
    const date = amzDate(header(request.headers, "x-amz-date"));
    if (!m || !date) {
      return { error: { ok: false, code: "IncompleteSignature", message: t("classroom.sig.incompleteHeader") } };
    }
    return { accessKeyId: m[1], region: m[3], service: m[4], date, signedHeaders: m[5].split(";"), signature: m[6], presigned: false };
  }
  if (typeof query["X-Amz-Signature"] === "string") {
    const m = CREDENTIAL.exec(String(query["X-Amz-Credential"] ?? ""));
    const date = amzDate(String(query["X-Amz-Date"] ?? ""));
    const expiresIn = Number(query["X-Amz-Expires"]);
    if (!m || !date || !Number.isInteger(expiresIn) || query["X-Amz-Algorithm"] !== "AWS4-HMAC-SHA256" || typeof query["X-Amz-SignedHeaders"] !== "string") {
      return { error: { ok: false, code: "IncompleteSignature", message: t("classroom.sig.incompleteQuery") } };
    }
    return {
      accessKeyId: m[1], region: m[3], service: m[4], date, signedHeaders: String(query["X-Amz-SignedHeaders"]).split(";"),
      signature: String(query["X-Amz-Signature"]), presigned: true, expiresIn,
    };
  }
  return { error: { ok: false, code: "MissingAuthenticationToken", message: t("classroom.sig.unsigned") } };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const PRESIGN_PARAMS = new Set(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]);

/**
 * Verifies the request's signature with `secretFor(accessKeyId)`. An unknown key id, a wrong
 * signature, a date outside the window or an expired presigned URL are refused.
 */
export async function verifySignature(request: SignedRequest, secretFor: (accessKeyId: string) => string | undefined, now = Date.now()): Promise<Verdict> {
  const read = readSignature(request);
  if ("error" in read) return read.error;
  const secret = secretFor(read.accessKeyId);
  if (secret === undefined) {
    return { ok: false, code: "InvalidClientTokenId", accessKeyId: read.accessKeyId, message: t("classroom.door.unknownKey") };
  }
  if (read.presigned) {
    if (now > read.date.getTime() + read.expiresIn! * 1000) return { ok: false, code: "RequestExpired", message: t("classroom.sig.expired") };
    if (read.date.getTime() - now > MAX_SKEW_MS) return { ok: false, code: "RequestExpired", message: t("classroom.sig.future") };
  } else if (Math.abs(now - read.date.getTime()) > MAX_SKEW_MS) {
    return { ok: false, code: "RequestExpired", message: t("classroom.sig.skew") };
  }

  const at = request.url.indexOf("?");
  const path = at < 0 ? request.url : request.url.slice(0, at);
  const query = at < 0 ? {} : parseQuery(request.url.slice(at + 1));
  const headers: Record<string, string> = {};
  for (const name of read.signedHeaders) {
    const value = header(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const host = header(request.headers, "host") ?? "";
  const signer = new SignatureV4({
    credentials: { accessKeyId: read.accessKeyId, secretAccessKey: secret },
    region: read.region,
    service: read.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service encodes it once more.
    uriEscapePath: read.service !== "s3",
    applyChecksum: false,
  });
  const base = { method: request.method, protocol: "http:", hostname: host.replace(/:\d+$/, ""), path, headers };
  let expected: string | undefined;
  if (read.presigned) {
    for (const name of PRESIGN_PARAMS) delete query[name];
    // S3's presigner keeps the payload's hash (UNSIGNED-PAYLOAD) in the query, where it is signed
    // as a query parameter; the signer takes the payload hash from the header of the same name.
    const hoisted = query["X-Amz-Content-Sha256"];
    const payloadHash = typeof hoisted === "string" ? hoisted : read.service === "s3" ? "UNSIGNED-PAYLOAD" : undefined;
    if (payloadHash) headers["x-amz-content-sha256"] = payloadHash;
    const unsigned = new Set(["x-amz-content-sha256"]);
    const presigned = await signer.presign(new HttpRequest({ ...base, query, body: request.body.length ? request.body : undefined }), {
      signingDate: read.date,
      expiresIn: read.expiresIn,
      unsignableHeaders: read.signedHeaders.includes("x-amz-content-sha256") ? undefined : unsigned,
      unhoistableHeaders: unsigned,
    });
    expected = String(presigned.query?.["X-Amz-Signature"]);
  } else {
    const signed = await signer.sign(new HttpRequest({ ...base, query, body: request.body.length ? request.body : undefined }), { signingDate: read.date });
    expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
  }
  if (!expected || !same(expected, read.signature)) {
    return { ok: false, code: "SignatureDoesNotMatch", accessKeyId: read.accessKeyId, message: t("classroom.sig.mismatch") };
  }
  return { ok: true, signature: read };
}
