// The slides build: the real decks build, match each other across languages and show their
// solutions' code; broken decks (small fixtures in a temporary folder) fail, naming deck, line and problem.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDecks,
  codeBlocks,
  DeckError,
  findDecks,
  prepareDeck,
  prepareDecks,
  ELISION,
  readRegions,
  ROOT,
  selectLines,
  wrapCodeLines,
  type BuildResult,
  type PreparedDeck,
} from "./decks";

const LESSONS = readdirSync(join(ROOT, "lessons")).filter((name) => /^\d\d-/.test(name)).sort();
const EXPECTED_DECKS = ["00-opening", ...LESSONS, "99-closing"];

/** The test's own reading of a region, to check the build's: the lines between the markers, dedented. */
function regionOf(lesson: string, region: string): string | undefined {
  const lines = readFileSync(join(ROOT, "solutions", lesson, "solution.ts"), "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
  if (start < 0) return undefined;
  const body: string[] = [];
  let depth = 0;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*\/\/ #region /.test(line)) depth += 1;
    else if (/^\s*\/\/ #endregion/.test(line)) {
      if (depth === 0) break;
      depth -= 1;
    } else body.push(line);
  }
  while (body[0]?.trim() === "") body.shift();
  while (body.at(-1)?.trim() === "") body.pop();
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent).trimEnd()).join("\n");
}

describe("the decks", () => {
  let prepared: PreparedDeck[];
  let build: BuildResult;
  let outDir: string;

  beforeAll(async () => {
    prepared = prepareDecks(findDecks());
    outDir = mkdtempSync(join(tmpdir(), "nt-slides-test-"));
    build = await buildDecks({ outDir, quiet: true });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("are an opening, one per lesson and a closing, in Spanish and in English", () => {
    for (const lang of ["es", "en"]) {
      const names = prepared.filter((d) => d.lang === lang).map((d) => d.name);
      expect(names, `slides/decks/${lang}/ holds: ${names.join(", ")}`).toEqual(EXPECTED_DECKS);
    }
  });

  it("build to HTML, with an index that links every deck", () => {
    expect(build.decks.map((d) => `${d.lang}/${d.name}`).sort()).toEqual(prepared.map((d) => `${d.lang}/${d.name}`).sort());
    const index = readFileSync(build.index, "utf8");
    for (const deck of build.decks) {
      expect(existsSync(deck.html), `${deck.html} was not written`).toBe(true);
      expect(index, `the index has no link to ${deck.lang}/${deck.name}.html`).toContain(`href="${deck.lang}/${deck.name}.html"`);
      expect(deck.title, `${deck.path} has no title: in its front matter`).not.toBe("");
    }
    expect(existsSync(join(outDir, "assets")), "the shared images were not copied to assets/").toBe(true);
  });

  it("have the same slides and the same code in both languages", () => {
    for (const es of prepared.filter((d) => d.lang === "es")) {
      const en = prepared.find((d) => d.lang === "en" && d.name === es.name)!;
      expect(en.slides, `${es.name}: es has ${es.slides} slides, en has ${en.slides}`).toBe(es.slides);
      const snippets = (deck: PreparedDeck) => deck.snippets.map((s) => `${s.lesson}#${s.region}${s.lines ? ` lines ${s.lines}` : ""}`);
      expect(snippets(en), `${es.name}: the code on the slides differs`).toEqual(snippets(es));
    }
  });

  it("show, on every lesson deck, the code of its solution's regions, and point to the exercise", () => {
    for (const deck of prepared.filter((d) => LESSONS.includes(d.name))) {
      const shown = codeBlocks(deck.markdown).filter((block) => block.lang === "ts");
      expect(deck.snippets.length, `${deck.lang}/${deck.name} shows no code from its solution`).toBeGreaterThanOrEqual(2);
      expect(shown.map((b) => b.code)).toEqual(deck.snippets.map((s) => s.code));
      for (const snippet of deck.snippets) {
        expect(snippet.lesson, `${deck.lang}/${deck.name} shows code from another lesson`).toBe(deck.name);
        const region = regionOf(snippet.lesson, snippet.region);
        expect(region, `solutions/${snippet.lesson}/solution.ts has no region ${snippet.region}`).toBeDefined();
        if (!snippet.lines) expect(snippet.code, `${deck.lang}/${deck.name} line ${snippet.line}: ${snippet.region}`).toBe(region);
        else {
          // Some of the region's lines: each shown line is the region's, in order; "// …" stands for the rest.
          const regionLines = region!.split("\n").map((l) => l.trim());
          let at = 0;
          for (const shown of snippet.code.split("\n").map((l) => l.trim())) {
            if (shown === ELISION) continue;
            const found = regionLines.indexOf(shown, at);
            expect(found, `${deck.lang}/${deck.name} line ${snippet.line}: "${shown}" is not the next line of ${snippet.region}`).toBeGreaterThanOrEqual(at);
            at = found + 1;
          }
          expect(snippet.code, `${deck.lang}/${deck.name} line ${snippet.line}: lines ${snippet.lines} leave nothing out`).toContain(ELISION);
        }
      }
      expect(deck.markdown, `${deck.lang}/${deck.name} does not link its lesson`).toContain(`](../../../lessons/${deck.name}/README.md)`);
    }
  });

  it("are linked from each lesson's README", () => {
    for (const lesson of LESSONS) {
      const readme = join(ROOT, "lessons", lesson, "README.md");
      const line = `Slides: [English](../../slides/decks/en/${lesson}.md) · [Español](../../slides/decks/es/${lesson}.md)`;
      expect(existsSync(readme) ? readFileSync(readme, "utf8") : "(no README.md)", `lessons/${lesson}/README.md should say: ${line}`).toContain(line);
    }
  });
});

describe("a broken deck", () => {
  let dir: string;

  /** Writes fixture files under a fresh folder: { "decks/es/a.md": "…" }. */
  function fixture(files: Record<string, string>): string {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  function problemsOf(markdown: string): string[] {
    fixture({ "decks/es/a.md": markdown });
    try {
      prepareDeck({ lang: "es", name: "a", path: join(dir, "decks/es/a.md") }, { solutionsDir: join(dir, "solutions") });
    } catch (err) {
      if (err instanceof DeckError) return err.message.split("\n");
      throw err;
    }
    return [];
  }

  const SOLUTION = [
    "export function one(): number {",
    "  // #region slide:inner",
    "  return 1;",
    "  // #endregion",
    "}",
    "// #region slide:outer",
    "export function two(): number {",
    "  // #region slide:nested",
    "  return 2;",
    "  // #endregion",
    "}",
    "// #endregion",
  ].join("\n");

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nt-slides-fixture-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("with no slides fails", () => {
    expect(problemsOf("---\nmarp: true\n---\n\n<!-- only a note -->\n")).toEqual([expect.stringMatching(/a\.md: the deck has no slides/)]);
    expect(problemsOf("")).toEqual([expect.stringMatching(/a\.md: the deck has no slides/)]);
  });

  it("with an empty slide fails, naming it", () => {
    expect(problemsOf("# One\n\n---\n\n---\n\n# Three\n")).toEqual([expect.stringMatching(/a\.md:3: slide 2 is empty/)]);
  });

  it("with a snippet of a region that does not exist fails, naming deck, line and region", () => {
    fixture({ "solutions/99-demo/solution.ts": SOLUTION });
    const problems = problemsOf("# Code\n\n<!-- snippet: 99-demo#slide:missing -->\n");
    expect(problems).toEqual([expect.stringMatching(/a\.md:3: snippet 99-demo#slide:missing: no region "slide:missing" in .*solution\.ts \(it has: slide:inner, slide:nested, slide:outer\)/)]);
  });

  it("with a snippet of a lesson that has no solution fails", () => {
    expect(problemsOf("# Code\n\n<!-- snippet: 98-nowhere#slide:x -->\n")).toEqual([
      expect.stringMatching(/a\.md:3: snippet 98-nowhere#slide:x: no file .*98-nowhere\/solution\.ts/),
    ]);
  });

  it("with a malformed snippet directive fails", () => {
    expect(problemsOf("# Code\n\n<!-- snippet: 99-demo slide:inner -->\n")).toEqual([expect.stringMatching(/a\.md:3: malformed snippet/)]);
  });

  it("with lines that are not the region's fails, saying why", () => {
    fixture({ "solutions/99-demo/solution.ts": SOLUTION });
    expect(problemsOf("# Code\n\n<!-- snippet: 99-demo#slide:outer lines 1-9 -->\n")).toEqual([
      expect.stringMatching(/a\.md:3: snippet 99-demo#slide:outer: lines 1-9: the region has only 3 lines/),
    ]);
    expect(problemsOf("# Code\n\n<!-- snippet: 99-demo#slide:outer lines 2-3,1-1 -->\n")).toEqual([
      expect.stringMatching(/a\.md:3: snippet 99-demo#slide:outer: lines 2-3,1-1: the ranges must go forward/),
    ]);
  });

  it("with hand-written code fails: code comes from the solutions", () => {
    expect(problemsOf("# Code\n\n```ts\nconst made = 'up';\n```\n")).toEqual([expect.stringMatching(/a\.md:3: hand-written ts code/)]);
  });

  it("with a broken link or image fails, and a remote image too", () => {
    fixture({ "decks/assets/here.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>', "elsewhere.md": "x" });
    const problems = problemsOf(
      [
        "# Links",
        "",
        "[fine](../../elsewhere.md) [gone](../../nowhere.md) [web](https://example.com/) [slide 2](#2)",
        "",
        "![fine](../assets/here.svg)",
        "",
        "![gone](../assets/missing.svg)",
        "",
        "![web](https://example.com/cat.png)",
      ].join("\n"),
    );
    expect(problems).toEqual([
      expect.stringMatching(/a\.md:3: broken link \.\.\/\.\.\/nowhere\.md/),
      expect.stringMatching(/a\.md:7: broken image \.\.\/assets\/missing\.svg/),
      expect.stringMatching(/a\.md:9: remote image https:\/\/example\.com\/cat\.png/),
    ]);
  });

  it("stops the build before anything is written", async () => {
    fixture({ "decks/es/a.md": "# One\n\n![gone](../assets/missing.svg)\n" });
    const outDir = join(dir, "out");
    await expect(buildDecks({ decksDir: join(dir, "decks"), solutionsDir: join(dir, "solutions"), outDir, quiet: true })).rejects.toThrow(
      /a\.md:3: broken image/,
    );
    expect(existsSync(outDir)).toBe(false);
  });

  it("is fixed, and builds: the snippet becomes the region's code, a link to a deck its HTML", async () => {
    fixture({
      "solutions/99-demo/solution.ts": SOLUTION,
      "decks/es/a.md": "---\ntitle: Demo\n---\n\n# One\n\n<!-- snippet: 99-demo#slide:outer -->\n\n[next](b.md)\n",
      "decks/es/b.md": "# Two\n\n<!-- snippet: 99-demo#slide:inner -->\n\n---\n\n# Two, shortened\n\n<!-- snippet: 99-demo#slide:outer lines 2-2 -->\n",
    });
    const outDir = join(dir, "built");
    const { decks, index } = await buildDecks({ decksDir: join(dir, "decks"), solutionsDir: join(dir, "solutions"), outDir, quiet: true });
    expect(decks.map((d) => d.snippets.map((s) => s.code))).toEqual([
      ["export function two(): number {\n  return 2;\n}"],
      ["return 1;", "  // …\n  return 2;\n// …"],
    ]);
    const html = readFileSync(join(outDir, "es", "a.html"), "utf8");
    expect(html).toContain('href="b.html"');
    expect(html).toContain("two");
    expect(readFileSync(index, "utf8")).toContain('<a href="es/a.html">Demo</a>');
  });
});

describe("some lines of a region", () => {
  const CODE = ["function f() {", "  const a = 1;", "  const b = 2;", "  if (a) {", "    go();", "  }", "  return a + b;", "}"].join("\n");

  it("are those lines, with a // … where lines are left out (before, between, after), indented like the code it stands for", () => {
    expect(selectLines(CODE, "1-2,7-8")).toBe(["function f() {", "  const a = 1;", "  // …", "  return a + b;", "}"].join("\n"));
    expect(selectLines(CODE, "4-6")).toBe(["// …", "if (a) {", "  go();", "}", "// …"].join("\n"));
    expect(selectLines(CODE, "1-8")).toBe(CODE);
  });

  it("must be in the region, going forward", () => {
    expect(() => selectLines(CODE, "1-9")).toThrow(/the region has only 8 lines/);
    expect(() => selectLines(CODE, "3-4,4-5")).toThrow(/must go forward without overlapping \(at 4-5\)/);
    expect(() => selectLines(CODE, "5-4")).toThrow(/must go forward/);
  });
});

describe("the lines of a built block of code", () => {
  it("each get a span with their indentation, highlighting that spans lines closed and opened again, the text unchanged", () => {
    const html = 'if (x) {\n  <span class="c">// one\n  two</span>\n}\n';
    const wrapped = wrapCodeLines(html);
    expect(wrapped).toBe(
      [
        '<span class="line" style="--indent: 0ch">if (x) {\n</span>',
        '<span class="line" style="--indent: 2ch">  <span class="c">// one</span>\n</span>',
        '<span class="line" style="--indent: 2ch"><span class="c">  two</span>\n</span>',
        '<span class="line" style="--indent: 0ch">}\n</span>',
      ].join(""),
    );
    expect(wrapped.replace(/<[^>]*>/g, "")).toBe(html.replace(/<[^>]*>/g, ""));
  });
});

describe("regions", () => {
  it("nest, lose their markers and their common indentation", () => {
    const regions = readRegions("a\n    // #region slide:x\n    if (x) {\n      // #region slide:y\n      y();\n      // #endregion\n    }\n    // #endregion\n", "f.ts");
    expect(regions.get("slide:x")?.code).toBe("if (x) {\n  y();\n}");
    expect(regions.get("slide:y")).toEqual({ name: "slide:y", code: "y();", line: 4 });
  });

  it("that do not close, or close twice, or repeat a name, are reported", () => {
    expect(() => readRegions("// #region slide:x\ncode\n", "f.ts")).toThrow(/f\.ts:1: region "slide:x" has no #endregion/);
    expect(() => readRegions("code\n// #endregion\n", "f.ts")).toThrow(/f\.ts:2: #endregion without a #region/);
    expect(() => readRegions("// #region a\n// #endregion\n// #region a\n// #endregion\n", "f.ts")).toThrow(/f\.ts:3: region "a" is marked twice/);
  });
});
