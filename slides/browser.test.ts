// The built decks, opened in headless Chromium (Debian's chromium package; never a downloaded
// browser) at 1280×720, a projector's size: every slide is there, nothing failed to load, the code
// is the solution's, code and commands are set at 20 px or more (read from the back of a room),
// no slide overflows and no block of code scrolls, the comments of a block of commands line up,
// and the first slide is not a blank page. Without Chromium (an attendee's laptop) these
// tests are skipped, saying why; in CI (CI is set) a missing Chromium is a failure.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { buildDecks, findDecks, type BuiltDeck } from "./decks";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const missing = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium), or set CHROMIUM_PATH`;

/** Skips a test when there is no Chromium, unless in CI, where that is a failure. */
function needsChromium(context: TestContext): void {
  if (!missing) return;
  if (process.env.CI) throw new Error(`CI must check the slides in a browser, but there is ${missing}`);
  context.skip(`skipped: ${missing}`);
}

/** What went wrong while a page loaded: failed requests, console errors, uncaught exceptions. */
function watch(page: Page): string[] {
  const trouble: string[] = [];
  page.on("requestfailed", (request) => trouble.push(`failed to load ${request.url()}: ${request.failure()?.errorText}`));
  page.on("console", (message) => {
    if (message.type() === "error") trouble.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => trouble.push(`page error: ${error.message}`));
  return trouble;
}

/**
 * Waits until the page's layout has settled: the fonts are loaded, and the size of every slide and
 * every block of code is the same over three animation frames in a row. Marp's auto-scaling, once
 * on for code, sized each block from scripts after the page was parsed (a ResizeObserver, then a
 * frame with the block hidden): what a measurement right after "load" saw depended on which frames
 * had run, the likely reason this check seemed flaky (a wide diagram was once measured unscaled
 * 300 ms after load, and scaled in the next run). Now the theme leaves code to its CSS, and the
 * check measures only a layout that has stopped changing.
 */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  await page.waitForFunction(
    () => {
      const state = window as unknown as { layoutSeen?: string; layoutSameFor?: number };
      const boxes = Array.from(document.querySelectorAll<HTMLElement>("section[id], section[id] :is(pre, marp-pre)"), (e) => {
        const r = e.getBoundingClientRect();
        return `${e.scrollWidth}×${e.scrollHeight}@${r.left},${r.top},${r.width},${r.height}`;
      }).join(" ");
      state.layoutSameFor = boxes === state.layoutSeen ? (state.layoutSameFor ?? 0) + 1 : 0;
      state.layoutSeen = boxes;
      return state.layoutSameFor >= 2;
    },
    undefined,
    { polling: "raf" },
  );
}

async function open(context: BrowserContext, file: string): Promise<{ page: Page; trouble: string[] }> {
  const page = await context.newPage();
  const trouble = watch(page);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  await settle(page);
  return { page, trouble };
}

/** The slides whose content does not fit, and the blocks of code that scroll: "3: 1280×773", "5: code 1150×400 in 1100×400". */
async function overflowingSlides(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>("section[id]")).flatMap((s) => [
      ...(s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1 ? [`${s.id}: ${s.scrollWidth}×${s.scrollHeight}`] : []),
      ...Array.from(s.querySelectorAll<HTMLElement>(":is(pre, marp-pre)"))
        .filter((pre) => pre.scrollHeight > pre.clientHeight + 1 || pre.scrollWidth > pre.clientWidth + 1)
        .map((pre) => `${s.id}: code ${pre.scrollWidth}×${pre.scrollHeight} in ${pre.clientWidth}×${pre.clientHeight}`),
    ]),
  );
}

/** Code (from the solutions) and commands must read from the back of a room: 20 px or more, as shown at 1280×720. */
const MIN_CODE_PX = 20;

/**
 * Every block of code or commands on a slide, with the size its type is shown at: the CSS size
 * times whatever scales it (the slide fitted to the window, or anything that shrinks code to fit).
 */
async function codeSizes(page: Page): Promise<{ slide: string; lang: string; px: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>("section[id] :is(pre, marp-pre) > code:is(.language-ts, .language-sh)")).map((code) => {
      const scale = code.offsetWidth > 0 ? code.getBoundingClientRect().width / code.offsetWidth : 0;
      return {
        slide: code.closest("section")!.id,
        lang: code.className.replace(/^.*language-(\w+).*$/, "$1"),
        px: Math.round(parseFloat(getComputedStyle(code).fontSize) * scale * 10) / 10,
      };
    }),
  );
}

/** The blocks of commands whose comments at the end of a line do not start at the same column: "13: 482, 470 px". */
async function ragged(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>("section[id] :is(pre, marp-pre) > code.language-sh")).flatMap((code) => {
      const left = code.getBoundingClientRect().left;
      const starts = Array.from(code.querySelectorAll<HTMLElement>(".hljs-comment"), (c) => c.getClientRects()[0]?.left ?? left)
        .filter((x) => x > left + 1)
        .map(Math.round);
      return new Set(starts).size > 1 ? [`${code.closest("section")!.id}: ${starts.join(", ")} px`] : [];
    }),
  );
}

/** How a screenshot looks: how many colours (4 bits a channel) and the share of pixels unlike the commonest one. */
function looks(png: Buffer): { colours: number; ink: number } {
  const { data, width, height } = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < data.length; i += 4) {
    const key = ((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const commonest = Math.max(...counts.values());
  return { colours: counts.size, ink: 1 - commonest / (width * height) };
}

const NOT_BLANK = { colours: 16, ink: 0.01 };

describe("the decks in a browser", () => {
  const decks = findDecks();
  let context: BrowserContext | undefined;
  let built: BuiltDeck[] = [];
  let index = "";
  const folders: string[] = [];

  beforeAll(async () => {
    if (missing) {
      if (!process.env.CI) console.warn(`The slides' browser check is skipped: ${missing}.`);
      return;
    }
    const outDir = mkdtempSync(join(tmpdir(), "nt-slides-browser-"));
    const profile = mkdtempSync(join(tmpdir(), "nt-slides-chromium-"));
    folders.push(outDir, profile);
    ({ decks: built, index } = await buildDecks({ outDir, quiet: true }));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 720 },
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it("opens the index, and nothing fails to load", async (ctx) => {
    needsChromium(ctx);
    const { page, trouble } = await open(context!, index);
    const links = await page.locator("a").count();
    await page.close();
    expect(trouble, trouble.join("\n")).toEqual([]);
    expect(links, "links on the index").toBe(decks.length);
  });

  it.for(decks.map((d) => `${d.lang}/${d.name}`))("renders %s: every slide, its code, nothing broken, not blank", async (name, ctx) => {
    needsChromium(ctx);
    const deck = built.find((d) => `${d.lang}/${d.name}` === name)!;
    const { page, trouble } = await open(context!, deck.html);
    try {
      const slides = await page.locator("section[id]").count();
      expect(slides, `${name}: slides in the page`).toBe(deck.slides);

      const code = await page.evaluate(() =>
        Array.from(document.querySelectorAll("section code.language-ts")).map((c) => (c.textContent ?? "").replace(/\n$/, "")),
      );
      expect(code, `${name}: the code on the slides is not the solutions' regions`).toEqual(deck.snippets.map((s) => s.code));

      expect(await overflowingSlides(page), `${name}: these slides overflow (slide: width×height, the slide is 1280×720)`).toEqual([]);

      const sizes = await codeSizes(page);
      expect(sizes.filter((c) => c.lang === "ts").length, `${name}: code blocks measured`).toBe(deck.snippets.length);
      const small = sizes.filter((c) => c.px < MIN_CODE_PX).map((c) => `slide ${c.slide}: ${c.lang} at ${c.px} px`);
      expect(small, `${name}: code too small to read from the back of the room (under ${MIN_CODE_PX} px at 1280×720)`).toEqual([]);

      expect(await ragged(page), `${name}: the comments of these commands do not line up`).toEqual([]);

      const first = looks(await page.screenshot());
      expect(first.colours, `${name}: the first slide has ${first.colours} colours: blank?`).toBeGreaterThanOrEqual(NOT_BLANK.colours);
      expect(first.ink, `${name}: ${(first.ink * 100).toFixed(2)} % of the first slide differs from its background`).toBeGreaterThan(NOT_BLANK.ink);

      expect(trouble, `${name}:\n${trouble.join("\n")}`).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("would notice a blank page, a missing image, a slide that overflows, code that scrolls or is small, and ragged comments", async (ctx) => {
    needsChromium(ctx);
    const dir = mkdtempSync(join(tmpdir(), "nt-slides-broken-"));
    folders.push(dir);
    mkdirSync(join(dir, "decks", "en"), { recursive: true });
    const tall = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n");
    const wide = "x".repeat(300);
    const commands = "npm start  # one\nnpm test # two";
    writeFileSync(
      join(dir, "decks", "en", "broken.md"),
      `---\nmarp: true\ntheme: boton\n---\n\n# Too tall\n\n\`\`\`text\n${tall}\n\`\`\`\n\n---\n\n# An image\n\n[x](broken.md)\n\n---\n\n# Too wide, too small, ragged\n\n\`\`\`sh\n${wide}\n${commands}\n\`\`\`\n`,
    );
    const { decks: [deck] } = await buildDecks({ decksDir: join(dir, "decks"), outDir: join(dir, "out"), quiet: true });
    const { page, trouble } = await open(context!, deck.html);
    await page.evaluate(() => {
      const img = document.createElement("img");
      img.src = "gone.svg";
      document.querySelector("section")!.append(img);
      return new Promise((resolve) => img.addEventListener("error", resolve));
    });
    expect(await overflowingSlides(page)).toEqual([expect.stringMatching(/^1: /), expect.stringMatching(/^3: \d+×720$/), expect.stringMatching(/^3: code \d+×\d+ in /)]);
    await page.addStyleTag({ content: "section pre code { font-size: 12px !important; }" });
    await settle(page);
    expect((await codeSizes(page)).filter((c) => c.px < MIN_CODE_PX)).toEqual([{ slide: "3", lang: "sh", px: expect.any(Number) }]);
    expect(await ragged(page)).toEqual([expect.stringMatching(/^3: \d+, \d+ px$/)]);
    expect(trouble.join("\n")).toMatch(/gone\.svg/);
    await page.goto("about:blank");
    const blank = looks(await page.screenshot());
    expect(blank.colours < NOT_BLANK.colours || blank.ink <= NOT_BLANK.ink, `a blank page passed as ${JSON.stringify(blank)}`).toBe(true);
    await page.close();
  });
});
