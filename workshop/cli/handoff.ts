// Handing a check to a workshop process that is already running (the dashboard, or
// `npm run emulator`): it has a warm emulator, a warm type checker and Vitest loaded, so a typed
// `npm run check` gets its verdict in a fraction of a process's own start-up. The running
// process listens on 127.0.0.1 (a free port), written with a one-time token in
// .workshop/checker.json; a check that finds nobody listening runs in its own process as before.
// WORKSHOP_NO_HANDOFF=1 turns it off.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, join } from "node:path";
import type { CheckResult } from "../check/verdict";
import { findLesson, type Lesson } from "../lessons";
import { STATE_DIR } from "../paths";
import type { LessonTarget } from "../testing";
import { langFrom, type Lang } from "../i18n";

export const CHECKER_FILE = join(STATE_DIR, "checker.json");

interface CheckerState {
  port: number;
  pid: number;
  token: string;
}

export interface CheckRequest {
  lessons: string[];
  target: LessonTarget;
  /** The caller's AWS_ENDPOINT_URL, if it set one: the check runs against that. */
  endpoint?: string;
  /** The asker's language: the verdict and the tests' messages come back in it, not in the server's. */
  lang?: Lang;
  /** `npm run check -- --full`: every test runs, none keeps its last result. */
  full?: boolean;
}

export type RunChecks = (lessons: Lesson[], target: LessonTarget, endpoint: string | undefined, language: Lang, full?: boolean) => Promise<CheckResult[]>;

/** Serves checks until close(). Only one process serves at a time: a later one leaves the first in place. */
export async function serveChecks(run: RunChecks): Promise<{ close(): void } | undefined> {
  const existing = readState();
  if (existing && existing.pid !== process.pid) return undefined;
  const token = randomBytes(16).toString("hex");
  const server: Server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/check" || req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      void (async () => {
        try {
          const request = JSON.parse(body) as CheckRequest;
          // An asker that names no language (an older client) gets English, as WORKSHOP_LANG=en would.
          const language = langFrom({ WORKSHOP_LANG: request.lang ?? "en" });
          const results = await run(request.lessons.map((slug) => findLesson(slug, language)), request.target, request.endpoint, language, request.full === true);
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(results));
        } catch (err) {
          res.writeHead(500, { "content-type": "text/plain" }).end(err instanceof Error ? err.message : String(err));
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.unref();
  const port = (server.address() as { port: number }).port;
  try {
    mkdirSync(dirname(CHECKER_FILE), { recursive: true });
    writeFileSync(CHECKER_FILE, JSON.stringify({ port, pid: process.pid, token } satisfies CheckerState) + "\n", { mode: 0o600 });
  } catch {
    // An unwritable .workshop/: nobody can find this server, and checks run in their own process.
    server.close();
    return undefined;
  }
  const close = () => {
    server.close();
    if (readState()?.pid === process.pid) rmSync(CHECKER_FILE, { force: true });
  };
  process.once("exit", close);
  return { close };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readState(): CheckerState | undefined {
  if (!existsSync(CHECKER_FILE)) return undefined;
  try {
    const state = JSON.parse(readFileSync(CHECKER_FILE, "utf8")) as CheckerState;
    if (!pidAlive(state.pid)) {
      rmSync(CHECKER_FILE, { force: true });
      return undefined;
    }
    return state;
  } catch {
    return undefined;
  }
}

/** Who would take a check now, if anyone. */
export function handoffAvailable(env = process.env): boolean {
  if (env.WORKSHOP_NO_HANDOFF === "1" || env.WORKSHOP_REAL_AWS === "1" || env.WORKSHOP_EMULATOR) return false;
  return readState() !== undefined;
}

/** Asks the running workshop process to check; undefined when none takes it (then check here). */
export async function handOff(request: CheckRequest, env = process.env): Promise<CheckResult[] | undefined> {
  if (!handoffAvailable(env)) return undefined;
  const state = readState()!;
  try {
    const response = await fetch(`http://127.0.0.1:${state.port}/check`, {
      method: "POST",
      headers: { authorization: `Bearer ${state.token}`, "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    if (!response.ok) return undefined;
    return (await response.json()) as CheckResult[];
  } catch {
    return undefined;
  }
}
