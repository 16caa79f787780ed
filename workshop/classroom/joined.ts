// The attendee's side of a room, as small as the hooks need: the room this laptop joined, kept in
// .workshop/room.json (mode 0600), and its credentials, which go to the room's door and nowhere else.
import { AsyncLocalStorage } from "node:async_hooks";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { STATE_DIR } from "../paths";

export const ROOM_FILE = join(STATE_DIR, "room.json");

export interface JoinedRoom {
  code: string;
  /** The room's front door: http://ADDRESS:PORT. */
  endpoint: string;
  name: string;
  id: string;
  account: string;
  accessKeyId: string;
  secretAccessKey: string;
  joinedAt: string;
}

/** The room this laptop joined, or undefined (a missing or damaged file is no room). */
export function joinedRoom(file = ROOM_FILE): JoinedRoom | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const room = JSON.parse(readFileSync(file, "utf8")) as JoinedRoom;
    return typeof room.endpoint === "string" && typeof room.accessKeyId === "string" && typeof room.secretAccessKey === "string" ? room : undefined;
  } catch {
    return undefined;
  }
}

export function rememberRoom(room: JoinedRoom, file = ROOM_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(room, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export function forgetRoom(file = ROOM_FILE): void {
  rmSync(file, { force: true });
}

interface Identity {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}
/** `classroom end` cleans up several attendees at once in one process, each in a context of their own. */
const acting = new AsyncLocalStorage<Identity>();
export function actAs<T>(identity: Identity, work: () => Promise<T>): Promise<T> {
  return acting.run(identity, work);
}

/** The room's credentials, when the clients talk to the room's door; undefined for any other endpoint. */
export function roomCredentials(endpoint: string | undefined): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (!endpoint) return undefined;
  const override = acting.getStore();
  if (override) return sameEndpoint(override.endpoint, endpoint) ? { ...override.credentials } : undefined;
  const room = joinedRoom();
  return room && sameEndpoint(room.endpoint, endpoint) ? { accessKeyId: room.accessKeyId, secretAccessKey: room.secretAccessKey } : undefined;
}

function sameEndpoint(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
