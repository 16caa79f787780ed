// The classroom: one emulator for the room behind a front door, an account per attendee, and a live page for the instructor.
//   room.ts      the room's code, secret and attendees (.workshop/classroom.json), credentials derived from them
//   sigv4.ts     checking an AWS Signature Version 4 by signing the request again
//   door.ts      the front door: a reverse proxy that lets in only the room's attendees, each into their own account
//   board.ts     the instructor's page (Server-Sent Events)
//   joined.ts    the attendee's side: the room this laptop joined (.workshop/room.json), for the hooks
//   attendee.ts  joining, saying hello, reporting a check's verdict
import { networkInterfaces } from "node:os";
import { ping, startEmulator, type Emulator } from "../emulator";
import { Board } from "./board";
import { openDoor, type Door } from "./door";
import { DEFAULT_DOOR_PORT } from "./attendee";
import { newRoom, readRoomState, writeRoomState, CLASSROOM_FILE, type RoomState } from "./room";
import { t } from "../i18n";

export interface RoomOptions {
  /** Where the door listens: 0.0.0.0 (the LAN, the default) or 127.0.0.1 (tests, a room of one machine). */
  host?: string;
  port?: number;
  /** Where the instructor's page listens: this machine only, by default. */
  pageHost?: string;
  pagePort?: number;
  /** An emulator that already runs (http://127.0.0.1:4566), instead of starting one. */
  endpoint?: string;
  kind?: "moto" | "localstack";
  /** Start a new room (new code, nobody in it) even if .workshop/classroom.json holds one. */
  fresh?: boolean;
  file?: string;
}

export interface OpenRoom {
  state: RoomState;
  /** The address attendees use: http://LAN-ADDRESS:PORT. */
  address: string;
  /** What attendees type, as on the projector: CODE@ADDRESS:PORT. */
  joinCode: string;
  joinLine: string;
  pageUrl: string;
  /** The door on this machine's loopback, for `classroom end`. */
  localDoor: string;
  emulator: Emulator;
  board: Board;
  close(): Promise<void>;
}

/** This machine's address on the LAN (the first IPv4 that is not loopback nor a container bridge), for the join line. */
export function lanAddress(): string | undefined {
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (/^(docker|br-|veth|virbr|cni|flannel)/.test(name)) continue;
    for (const net of list ?? []) if (net.family === "IPv4" && !net.internal) return net.address;
  }
  return undefined;
}

export async function openRoom(options: RoomOptions = {}): Promise<OpenRoom> {
  const file = options.file ?? CLASSROOM_FILE;
  const host = options.host ?? "0.0.0.0";
  const state = (!options.fresh && readRoomState(file)) || newRoom();
  const save = (room: RoomState) => writeRoomState(room, file);
  let emulator: Emulator;
  if (options.endpoint) {
    if (!(await ping(options.endpoint))) throw new Error(t("classroom.open.down", { endpoint: options.endpoint }));
    emulator = { kind: "endpoint", endpoint: options.endpoint, description: t("emulator.describe.plain", { endpoint: options.endpoint }), stop: async () => {} };
  } else {
    // moto puts every request in MOTO_ACCOUNT_ID's account when it is set: one account for the whole room.
    delete process.env.MOTO_ACCOUNT_ID;
    // The emulator listens on this machine only: the door is the room's way in.
    emulator = await startEmulator({ kind: options.kind, host: "127.0.0.1" });
  }
  const board = new Board(state.code);
  for (const attendee of Object.values(state.attendees)) board.join(attendee);
  let door: Door | undefined;
  let page: { url: string; close(): Promise<void> } | undefined;
  try {
    door = await openDoor({
      room: state,
      save,
      emulator: emulator.endpoint!,
      host,
      port: options.port ?? DEFAULT_DOOR_PORT,
      onJoin: (a) => board.join(a),
      onReport: (a, r) => board.report(a, r),
      onRefused: () => board.refuse(),
    });
    page = await board.serve(options.pageHost ?? "127.0.0.1", options.pagePort ?? 0, state.pageToken);
  } catch (err) {
    await door?.close();
    await emulator.stop();
    throw err;
  }
  const shown = host === "0.0.0.0" || host === "::" ? (lanAddress() ?? "127.0.0.1") : host;
  const address = `http://${shown}:${door.port}`;
  const joinCode = `${state.code}@${shown}:${door.port}`;
  const joinLine = t("classroom.open.joinLine", { code: joinCode });
  board.joinLine = joinLine;
  const localDoor = `http://127.0.0.1:${door.port}`;
  state.running = { pid: process.pid, door: localDoor, page: page.url, emulator: emulator.description };
  save(state);
  const opened = door;
  const served = page;
  let closed = false;
  return {
    state, address, joinCode, joinLine, pageUrl: page.url, localDoor, emulator, board,
    async close() {
      if (closed) return;
      closed = true;
      await served.close();
      await opened.close();
      await emulator.stop();
      const latest = readRoomState(file);
      if (latest?.running?.pid === process.pid) {
        delete latest.running;
        save(latest);
      }
    },
  };
}
