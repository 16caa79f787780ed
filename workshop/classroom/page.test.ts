// The instructor's page in a real browser (Debian's headless Chromium, as the slides are checked):
// it opens with its token, sees two attendees join, and sees one of them turn done, live,
// without reloading. Without Chromium these tests are skipped, saying why; in CI that is a failure.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test, type TestContext } from "vitest";
import { openRoom, type OpenRoom } from ".";
import { joinRoom, reportCheck } from "./attendee";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium), or set CHROMIUM_PATH`;

function needsChromium(context: TestContext): void {
  if (!missing) return;
  if (process.env.CI) throw new Error(`CI must check the instructor's page in a browser, but there is ${missing}`);
  context.skip(`skipped: ${missing}`);
}

let room: OpenRoom;
let browser: Browser | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nt-classroom-page-"));
  // The page needs no emulator of its own: the door stands in front of the test run's.
  room = await openRoom({ host: "127.0.0.1", port: 0, endpoint: process.env.AWS_ENDPOINT_URL, fresh: true, file: join(dir, "classroom.json") });
  if (!missing) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }
});

afterAll(async () => {
  await browser?.close();
  await room?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the page lists attendees as they join and shows one turn done, live", async (context) => {
  needsChromium(context);
  const page = await browser!.newPage();
  const trouble: string[] = [];
  page.on("pageerror", (e) => trouble.push(e.message));
  page.on("console", (m) => m.type() === "error" && trouble.push(m.text()));
  await page.goto(room.pageUrl);
  await expect.poll(() => page.locator("#live").textContent(), { timeout: 10_000, message: "the page's event stream connects" }).toBe("live");
  expect(await page.locator("#join").textContent()).toBe(room.joinLine);
  expect(await page.locator("#attendees tr").count(), "nobody has joined yet").toBe(0);

  const ana = await joinRoom(room.joinCode, "ana");
  const beto = await joinRoom(room.joinCode, "beto");
  const rows = page.locator("#attendees tr");
  await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.name)), { timeout: 10_000, message: "ana and beto appear" }).toEqual(["ana", "beto"]);

  await reportCheck({ lesson: "04-s3", target: "exercise", ok: false, passed: 2, failed: 9, nextTodo: { n: 3 }, failures: [{ test: "step 3: getObject reads the body, the content type and the metadata back" }] }, ana);
  await reportCheck({ lesson: "04-s3", target: "exercise", ok: false, passed: 2, failed: 9, nextTodo: { n: 3 }, failures: [{ test: "step 3: getObject reads the body, the content type and the metadata back" }] }, beto);
  const anaRow = page.locator('#attendees tr[data-name="ana"]');
  await expect.poll(() => anaRow.textContent(), { timeout: 10_000, message: "ana's row shows her TODO and failing test" }).toContain("TODO 3");
  expect(await page.locator('#lessons tr[data-lesson="04-s3"]').textContent(), "the lesson's most common failing test").toContain("step 3: getObject reads the body, the content type and the metadata back (2)");

  await reportCheck({ lesson: "04-s3", target: "exercise", ok: true, passed: 11, failed: 0, failures: [] }, ana);
  await expect.poll(() => anaRow.getAttribute("data-verdict"), { timeout: 10_000, message: "ana turns done" }).toBe("done");
  expect(await page.locator('#attendees tr[data-name="beto"]').getAttribute("data-verdict"), "beto is still on it").toBe("failing");
  expect(await page.locator('#lessons tr[data-lesson="04-s3"] td').nth(2).textContent(), "one done in lesson 04").toBe("1");
  expect(trouble, "errors in the page").toEqual([]);
});

test("the page needs its token", async () => {
  const url = new URL(room.pageUrl);
  url.search = "";
  expect((await fetch(url)).status).toBe(403);
  url.searchParams.set("token", "guessed");
  expect((await fetch(url)).status).toBe(403);
  expect((await fetch(new URL(`/events?token=guessed`, url))).status).toBe(403);
});

test("the page takes the language of the process that serves it", async () => {
  const before = process.env.WORKSHOP_LANG;
  process.env.WORKSHOP_LANG = "es";
  try {
    const html = await (await fetch(room.pageUrl)).text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain("<h2>Asistentes (");
    expect(html).toContain("<th>Último veredicto</th>");
    expect(html).toContain('"none":"todavía sin verificar"');
    expect(html).not.toContain("Attendees");
    const refused = await fetch(room.pageUrl.replace(/token=[^&]+/, "token=wrong"));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/^Esta página es de quien da el taller/);
  } finally {
    if (before === undefined) delete process.env.WORKSHOP_LANG;
    else process.env.WORKSHOP_LANG = before;
  }
});
