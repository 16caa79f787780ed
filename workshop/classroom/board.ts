// The instructor's page: who is in the room, on which lesson and TODO, the last verdict and for
// how long they have been on it; per lesson how many are done and the most common failing test.
// Served by the classroom process on its own port, behind a token; live through Server-Sent Events.
import http, { type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import type { CheckReport } from "./door";
import type { Attendee } from "./room";
import { lang, t } from "../i18n";

export interface AttendeeRow {
  name: string;
  joinedAt: string;
  lesson?: string;
  todo?: number;
  verdict: "no check yet" | "failing" | "done";
  target?: "exercise" | "solution";
  passed?: number;
  failed?: number;
  failingTest?: string;
  /** When the attendee got onto this lesson and TODO (ISO). */
  since: string;
  lastReport?: string;
}

export interface LessonRow {
  lesson: string;
  on: number;
  done: number;
  /** The failing test most attendees on this lesson are stuck on now, and how many. */
  commonFailure?: { test: string; count: number };
}

export interface Snapshot {
  room: string;
  joinLine: string;
  attendees: AttendeeRow[];
  lessons: LessonRow[];
  refused: number;
}

export class Board {
  private rows = new Map<string, AttendeeRow>();
  /** Lessons each attendee has passed at least once. */
  private done = new Map<string, Set<string>>();
  private listeners = new Set<ServerResponse>();
  refused = 0;

  constructor(
    readonly room: string,
    public joinLine = "",
  ) {}

  join(attendee: Attendee): void {
    if (!this.rows.has(attendee.id)) this.rows.set(attendee.id, { name: attendee.name, joinedAt: attendee.joinedAt, verdict: "no check yet", since: new Date().toISOString() });
    this.publish();
  }

  report(attendee: Attendee, report: CheckReport): void {
    this.join(attendee);
    const row = this.rows.get(attendee.id)!;
    const now = new Date().toISOString();
    const todo = report.ok ? undefined : report.nextTodo;
    if (row.lesson !== report.lesson || row.todo !== todo || (row.verdict === "done") !== report.ok) row.since = now;
    Object.assign(row, {
      lesson: report.lesson,
      todo,
      verdict: report.ok ? "done" : "failing",
      target: report.target,
      passed: report.passed,
      failed: report.failed,
      failingTest: report.ok ? undefined : report.failingTest,
      lastReport: now,
    } satisfies Partial<AttendeeRow>);
    if (report.ok) (this.done.get(attendee.id) ?? this.done.set(attendee.id, new Set()).get(attendee.id)!).add(report.lesson);
    this.publish();
  }

  refuse(): void {
    this.refused += 1;
    this.publish();
  }

  snapshot(): Snapshot {
    const lessons = new Map<string, LessonRow>();
    const row = (lesson: string) => lessons.get(lesson) ?? lessons.set(lesson, { lesson, on: 0, done: 0 }).get(lesson)!;
    const failures = new Map<string, Map<string, number>>();
    for (const [id, a] of this.rows) {
      for (const lesson of this.done.get(id) ?? []) row(lesson).done += 1;
      if (!a.lesson) continue;
      row(a.lesson).on += 1;
      if (a.verdict === "failing" && a.failingTest) {
        const counts = failures.get(a.lesson) ?? failures.set(a.lesson, new Map()).get(a.lesson)!;
        counts.set(a.failingTest, (counts.get(a.failingTest) ?? 0) + 1);
      }
    }
    for (const [lesson, counts] of failures) {
      const [test, count] = [...counts].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0];
      row(lesson).commonFailure = { test, count };
    }
    return {
      room: this.room,
      joinLine: this.joinLine,
      attendees: [...this.rows.values()].sort((x, y) => x.name.localeCompare(y.name)),
      lessons: [...lessons.values()].sort((x, y) => x.lesson.localeCompare(y.lesson)),
      refused: this.refused,
    };
  }

  private publish(): void {
    const data = `data: ${JSON.stringify(this.snapshot())}\n\n`;
    for (const res of this.listeners) res.write(data);
  }

  listen(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    res.write(`retry: 2000\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.listeners.add(res);
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    res.on("close", () => {
      clearInterval(ping);
      this.listeners.delete(res);
    });
  }

  /** Serves the page at /?token=…, its events at /events?token=…, on host:port. */
  async serve(host: string, port: number, token: string): Promise<{ url: string; close(): Promise<void> }> {
    const allowed = (given: string | null) => {
      const a = Buffer.from(given ?? "");
      const b = Buffer.from(token);
      return a.length === b.length && timingSafeEqual(a, b);
    };
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://page");
      if (!allowed(url.searchParams.get("token"))) {
        res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
        return res.end(`${t("classroom.page.forbidden")}\n`);
      }
      if (url.pathname === "/events") return this.listen(res);
      if (url.pathname === "/state") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(this.snapshot()));
      }
      if (url.pathname !== "/") {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        "referrer-policy": "no-referrer",
      });
      res.end(page());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    const endStreams = () => this.endStreams();
    return {
      url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${bound}/?token=${token}`,
      async close() {
        endStreams();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Ends every open page's event stream (before the server closes). */
  endStreams(): void {
    for (const res of this.listeners) res.end();
    this.listeners.clear();
  }
}

/** Text for HTML: the page's own words never carry markup, but a translation must not be able to add any. */
const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// The page: plain HTML and a little script; every name is put in as text, never as HTML. It is
// in the language of the process that serves it (the instructor's).
function page(): string {
  const w = (key: Parameters<typeof t>[0]) => html(t(key));
  // The script's own words, as JSON that cannot close the script element.
  const words = JSON.stringify({
    done: t("classroom.page.verdict.done"),
    solution: t("classroom.page.verdict.solution"),
    pass: t("classroom.page.verdict.pass"),
    none: t("classroom.page.verdict.none"),
    live: t("classroom.page.live"),
    reconnecting: t("classroom.page.reconnecting"),
  }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="${lang()}"><head><meta charset="utf-8"><title>${w("classroom.page.title")}</title>
<style>
body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } .join { font-family: monospace; background: #f3f3f3; padding: .3rem .5rem; }
table { border-collapse: collapse; margin: 1rem 0 2rem; min-width: 40rem; } th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #ddd; }
.done { color: #17803d; font-weight: 600; } .failing { color: #b42318; } .none { color: #888; } .small { color: #666; font-size: .9rem; }
</style></head>
<body>
<h1>${w("classroom.page.room")} <span id="room">…</span></h1>
<p>${w("classroom.page.joinWith")} <span class="join" id="join"></span> <span class="small" id="live">${w("classroom.page.connecting")}</span></p>
<h2>${w("classroom.page.attendees")} (<span id="count">0</span>)</h2>
<table><thead><tr><th>${w("classroom.page.col.name")}</th><th>${w("classroom.page.col.lesson")}</th><th>${w("classroom.page.col.todo")}</th><th>${w("classroom.page.col.verdict")}</th><th>${w("classroom.page.col.since")}</th><th>${w("classroom.page.col.failing")}</th></tr></thead><tbody id="attendees"></tbody></table>
<h2>${w("classroom.page.lessons")}</h2>
<table><thead><tr><th>${w("classroom.page.col.lesson")}</th><th>${w("classroom.page.col.onIt")}</th><th>${w("classroom.page.col.done")}</th><th>${w("classroom.page.col.common")}</th></tr></thead><tbody id="lessons"></tbody></table>
<p class="small">${w("classroom.page.refused")} <span id="refused">0</span></p>
<script>
const T = ${words};
const token = new URLSearchParams(location.search).get("token");
let state = { attendees: [], lessons: [] };
function ago(iso) { const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)); return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min"; }
function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
function render() {
  document.getElementById("room").textContent = state.room || "";
  document.getElementById("join").textContent = state.joinLine || "";
  document.getElementById("count").textContent = state.attendees.length;
  document.getElementById("refused").textContent = state.refused || 0;
  const body = document.getElementById("attendees"); body.replaceChildren();
  for (const a of state.attendees) {
    const tr = document.createElement("tr"); tr.dataset.name = a.name; tr.dataset.verdict = a.verdict; tr.dataset.lesson = a.lesson || "";
    cell(tr, a.name); cell(tr, a.lesson || "—"); cell(tr, a.todo ? "TODO " + a.todo : "—");
    const v = a.verdict === "done" ? T.done + (a.target === "solution" ? T.solution : "") : a.verdict === "failing" ? a.passed + "/" + (a.passed + a.failed) + T.pass : T.none;
    cell(tr, v, a.verdict === "done" ? "done" : a.verdict === "failing" ? "failing" : "none");
    cell(tr, ago(a.since), "small"); cell(tr, a.failingTest || "", "small");
    body.appendChild(tr);
  }
  const lessons = document.getElementById("lessons"); lessons.replaceChildren();
  for (const l of state.lessons) {
    const tr = document.createElement("tr"); tr.dataset.lesson = l.lesson;
    cell(tr, l.lesson); cell(tr, String(l.on)); cell(tr, String(l.done), "done");
    cell(tr, l.commonFailure ? l.commonFailure.test + " (" + l.commonFailure.count + ")" : "", "small");
    lessons.appendChild(tr);
  }
}
const events = new EventSource("/events?token=" + encodeURIComponent(token));
events.onmessage = (e) => { state = JSON.parse(e.data); render(); };
events.onopen = () => { document.getElementById("live").textContent = T.live; };
events.onerror = () => { document.getElementById("live").textContent = T.reconnecting; };
setInterval(render, 1000);
</script>
</body></html>
`;
}
