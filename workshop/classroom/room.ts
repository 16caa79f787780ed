// The room as the instructor's machine keeps it, in .workshop/classroom.json (mode 0600): its
// short code, its secret, and who joined. Every attendee's credentials are derived from the room's
// secret and the attendee's id (an HMAC), so the file never needs to hold them.
import { createHmac, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { STATE_DIR } from "../paths";

export const CLASSROOM_FILE = join(STATE_DIR, "classroom.json");

/** Letters and digits that cannot be mistaken for one another on a projector (no 0/O, 1/I/L). */
const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

export interface Attendee {
  /** The name as typed at join, lower-cased to letters, digits and dashes. */
  id: string;
  name: string;
  /** The AWS account of their own on the room's emulator: 12 digits. */
  account: string;
  joinedAt: string;
  /** The services the attendee has called (as signed: "s3", "ec2", …), so that the end cleans only those. */
  services?: string[];
}

export interface RoomState {
  code: string;
  /** Never leaves this machine; every attendee's secret is derived from it. */
  secret: string;
  /** The instructor page's token. */
  pageToken: string;
  createdAt: string;
  attendees: Record<string, Attendee>;
  /** Set while `npm start -- classroom` runs. */
  running?: { pid: number; door: string; page: string; emulator: string };
}

export interface AttendeeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function newRoomCode(length = 6): string {
  return Array.from({ length }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
}

export function newRoom(): RoomState {
  return {
    code: newRoomCode(),
    secret: randomBytes(32).toString("base64url"),
    pageToken: randomBytes(18).toString("base64url"),
    createdAt: new Date().toISOString(),
    attendees: {},
  };
}

/** "Ana María" → "ana-maria"; undefined when nothing usable is left. */
export function attendeeId(name: string): string | undefined {
  const id = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32);
  return id || undefined;
}

function hmac(secret: string, what: string): Buffer {
  return createHmac("sha256", secret).update(what).digest();
}

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The attendee's access key id and secret: the same every time for the same room and attendee. */
export function credentialsOf(room: Pick<RoomState, "secret">, id: string): AttendeeCredentials {
  const idBytes = hmac(room.secret, `access-key-id:${id}`);
  // 20 characters like an AWS key id, starting with NTRM so nobody mistakes it for a real one.
  const keyId = "NTRM" + Array.from(idBytes.subarray(0, 16), (b) => KEY_ALPHABET[b % 32]).join("");
  return { accessKeyId: keyId, secretAccessKey: hmac(room.secret, `secret-access-key:${id}`).toString("base64").slice(0, 40) };
}

/** A 12-digit account id of the attendee's own, never moto's or LocalStack's default. */
export function accountOf(room: Pick<RoomState, "secret">, id: string, taken: Set<string> = new Set()): string {
  for (let n = 0; ; n++) {
    const bytes = hmac(room.secret, `account:${id}:${n}`);
    const account = (bytes.readBigUInt64BE(0) % 900_000_000_000n + 100_000_000_000n).toString();
    if (!taken.has(account) && account !== "123456789012") return account;
  }
}

export function codeMatches(room: Pick<RoomState, "code">, code: string): boolean {
  const a = Buffer.from(room.code);
  const b = Buffer.from(code.trim().toUpperCase());
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readRoomState(file = CLASSROOM_FILE): RoomState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as RoomState;
    return state && typeof state.code === "string" && typeof state.secret === "string" ? { ...state, attendees: state.attendees ?? {} } : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state readable by its owner only (it holds the room's secret). */
export function writeRoomState(state: RoomState, file = CLASSROOM_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export function forgetRoomState(file = CLASSROOM_FILE): void {
  rmSync(file, { force: true });
}
