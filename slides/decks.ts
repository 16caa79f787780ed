// The slide decks: find them, check them, put the solutions' code in them, and build them with Marp.
//
// A deck is a Marp Markdown file, slides/decks/<lang>/<NN-name>.md. Code never gets typed into a
// deck: a line `<!-- snippet: 04-s3#slide:presign -->` is replaced, at build time, by the code
// between `// #region slide:presign` and `// #endregion` in solutions/04-s3/solution.ts. So a slide
// never shows code that does not run: the solutions' tests run that very code.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Marp } from "@marp-team/marp-core";

export const SLIDES_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(SLIDES_DIR, "..");
export const DECKS_DIR = join(SLIDES_DIR, "decks");
export const THEMES_DIR = join(SLIDES_DIR, "themes");
export const DIST_DIR = join(SLIDES_DIR, "dist");
export const SOLUTIONS_DIR = join(ROOT, "solutions");
/** Shared images: slides/decks/assets/, linked from a deck as ../assets/name.svg, copied to dist/assets/. */
export const ASSETS = "assets";

/** The languages, in the order the index lists them. Every deck exists in each, with the same slides. */
export const LANGUAGES = { es: "Español", en: "English" } as const;
export type Language = keyof typeof LANGUAGES;

/**
 * `<!-- snippet: 04-s3#slide:presign -->`, alone on its line; `… lines 1-6,14-20` shows only those
 * lines of the region (counted from its first line, 1), with `// …` where lines are left out.
 */
const SNIPPET = /^snippet:\s*(?<lesson>\d\d-[a-z0-9-]+)#(?<region>slide:[A-Za-z0-9_-]+)(?:\s+lines\s+(?<lines>\d+-\d+(?:,\d+-\d+)*))?$/;
/** The line that stands for lines of a region left out of a slide. */
export const ELISION = "// …";
const REGION_START = /^\s*\/\/\s*#region\s+(?<name>\S+)/;
const REGION_END = /^\s*\/\/\s*#endregion\b/;
/** Code in these languages must come from a solution, never be typed into a deck. */
const CODE_LANGUAGES = new Set(["ts", "typescript", "tsx", "js", "javascript", "jsx", "mjs", "cjs"]);

// ─── Problems ─────────────────────────────────────────────────────────────────────────────────

/** Something wrong with a deck, at a line (1-based) when it has one. */
export interface Problem {
  file: string;
  line?: number;
  message: string;
}

export function formatProblem(problem: Problem): string {
  const where = relative(process.cwd(), problem.file) || problem.file;
  return `${where}${problem.line ? `:${problem.line}` : ""}: ${problem.message}`;
}

export class DeckError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "DeckError";
  }
}

// ─── Regions in the solutions ─────────────────────────────────────────────────────────────────

export interface Region {
  name: string;
  /** The code, dedented, without the marker lines (of this region or of regions nested in it). */
  code: string;
  /** The line of its `// #region` marker, 1-based. */
  line: number;
}

/** Removes the indentation that all non-blank lines share, and blank lines at either end. */
export function dedent(lines: string[]): string {
  const body = [...lines];
  while (body.length > 0 && body[0].trim() === "") body.shift();
  while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
  const indents = body.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return body.map((l) => l.slice(cut).trimEnd()).join("\n");
}

/** Every `// #region name` … `// #endregion` of a source file. Regions may nest; markers never show in the code. */
export function readRegions(source: string, file: string): Map<string, Region> {
  const lines = source.split(/\r?\n/);
  const regions = new Map<string, Region>();
  const problems: Problem[] = [];
  const open: { name: string; line: number; body: string[] }[] = [];
  lines.forEach((text, index) => {
    const start = REGION_START.exec(text);
    if (start) {
      open.push({ name: start.groups!.name, line: index + 1, body: [] });
      return;
    }
    if (REGION_END.test(text)) {
      const region = open.pop();
      if (!region) {
        problems.push({ file, line: index + 1, message: "#endregion without a #region" });
        return;
      }
      if (regions.has(region.name)) {
        problems.push({ file, line: region.line, message: `region "${region.name}" is marked twice (also at line ${regions.get(region.name)!.line})` });
      }
      regions.set(region.name, { name: region.name, code: dedent(region.body), line: region.line });
      return;
    }
    for (const region of open) region.body.push(text);
  });
  for (const region of open) problems.push({ file, line: region.line, message: `region "${region.name}" has no #endregion` });
  if (problems.length > 0) throw new DeckError(problems);
  return regions;
}

/**
 * Some lines of a region's code, "1-6,14-20" (1-based, in order, not overlapping), with an
 * ELISION line wherever lines are left out: indented like the first line it stands for (before the
 * first line shown, like that line), and dedented again. Throws an Error saying what is wrong with the ranges.
 */
export function selectLines(code: string, ranges: string): string {
  const lines = code.split("\n");
  const parsed = ranges.split(",").map((range) => range.split("-").map(Number) as [number, number]);
  let next = 1;
  const shown: string[] = [];
  const indent = (line: string) => /^[ \t]*/.exec(line)![0];
  const elide = (from: number) => {
    const first = lines.slice(from - 1).find((l) => l.trim() !== "") ?? "";
    shown.push(`${indent(first)}${ELISION}`);
  };
  for (const [from, to] of parsed) {
    if (from < next || to < from) throw new Error(`lines ${ranges}: the ranges must go forward without overlapping (at ${from}-${to})`);
    if (to > lines.length) throw new Error(`lines ${ranges}: the region has only ${lines.length} lines`);
    if (from > next) {
      if (shown.length > 0) elide(next);
      else shown.push(`${indent(lines.slice(from - 1).find((l) => l.trim() !== "") ?? "")}${ELISION}`);
    }
    shown.push(...lines.slice(from - 1, to));
    next = to + 1;
  }
  if (next <= lines.length) elide(next);
  return dedent(shown);
}

/** The solution a snippet names: 04-s3 → solutions/04-s3/solution.ts. */
export function solutionFile(lesson: string, solutionsDir = SOLUTIONS_DIR): string {
  return join(solutionsDir, lesson, "solution.ts");
}

// ─── Decks ────────────────────────────────────────────────────────────────────────────────────

export interface DeckFile {
  lang: Language;
  /** The file name without .md: "04-s3". */
  name: string;
  path: string;
}

/** The decks in decksDir/<lang>/*.md, sorted by name. */
export function findDecks(decksDir = DECKS_DIR): DeckFile[] {
  const decks: DeckFile[] = [];
  for (const lang of Object.keys(LANGUAGES) as Language[]) {
    const dir = join(decksDir, lang);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".md")).sort()) {
      decks.push({ lang, name: basename(file, ".md"), path: join(dir, file) });
    }
  }
  return decks;
}

/** A snippet directive in a deck, and the code it stands for. */
export interface SnippetUse {
  lesson: string;
  region: string;
  /** The directive's line in the deck, 1-based. */
  line: number;
  /** The solution file it was taken from. */
  file: string;
  /** Only these lines of the region ("1-6,14-20"), when the directive says so. */
  lines?: string;
  code: string;
}

/** A deck checked and ready for Marp: the snippets replaced by code, links to other decks pointing at their HTML. */
export interface PreparedDeck extends DeckFile {
  title: string;
  /** The Markdown Marp builds. */
  markdown: string;
  /** How many slides. */
  slides: number;
  snippets: SnippetUse[];
}

/** The fields of a markdown-it token that the checks read (Marp types its parser as any). */
interface Token {
  type: string;
  content: string;
  info: string;
  map: [number, number] | null;
  children: Token[] | null;
  attrGet(name: string): string | null;
}

function parse(marp: Marp, markdown: string): Token[] {
  return marp.markdown.parse(markdown, {}) as Token[];
}

function markdownParser(): Marp {
  const marp = new Marp({ html: false });
  // Marp CLI reads `title:` from the front matter; teach this parser the same, for the index.
  marp.customDirectives.global.title = (value) => ({ title: value });
  return marp;
}

function isExternal(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//");
}

/** Tokens of one slide that show something: not a comment, not front matter, not Marp's own wrappers. */
function showsSomething(token: Token): boolean {
  return !["marpit_comment", "front_matter"].includes(token.type) && !token.type.startsWith("marpit_");
}

function lineOf(token: Token, fallback?: number): number | undefined {
  return token.map ? token.map[0] + 1 : fallback;
}

/**
 * Reads a deck and checks it: it has slides and no empty one, every snippet names a region that
 * exists, every relative link and image resolves, no image comes from the network, and no code is
 * typed in by hand. Throws a DeckError listing every problem, each with its line.
 */
export function prepareDeck(deck: DeckFile, options: { solutionsDir?: string; decksDir?: string } = {}): PreparedDeck {
  const solutionsDir = options.solutionsDir ?? SOLUTIONS_DIR;
  const decksDir = options.decksDir ?? dirname(dirname(deck.path));
  const source = readFileSync(deck.path, "utf8");
  const lines = source.split(/\r?\n/);
  const problems: Problem[] = [];
  const problem = (message: string, line?: number) => problems.push({ file: deck.path, line, message });

  const marp = markdownParser();
  const tokens = parse(marp, source);
  const title = String((marp as unknown as { lastGlobalDirectives: { title?: string } }).lastGlobalDirectives.title ?? "");

  // Slides: at least one, and none empty (an empty one is usually a stray "---").
  const slideShows: { line?: number; shows: boolean }[] = [];
  for (const token of tokens) {
    if (token.type === "marpit_slide_open") slideShows.push({ line: lineOf(token), shows: false });
    else if (slideShows.length > 0 && showsSomething(token)) slideShows[slideShows.length - 1].shows = true;
  }
  const slides = slideShows.length;
  if (slideShows.every((slide) => !slide.shows)) problem("the deck has no slides");
  else {
    slideShows.forEach((slide, index) => {
      if (!slide.shows) problem(`slide ${index + 1} is empty (a stray "---"?)`, slide.line);
    });
  }

  // Snippets, links, images and hand-written code.
  const snippets: SnippetUse[] = [];
  const regionsOf = new Map<string, Map<string, Region> | Error>();
  const linkRewrites = new Map<number, { from: string; to: string }[]>();
  let lastLine: number | undefined;
  for (const token of tokens) {
    // Inline tokens in a table have no line of their own: use the row's.
    const line = (lastLine = lineOf(token, lastLine));
    if (token.type === "marpit_comment" && /^snippet\b/.test(token.content.trim())) {
      const match = SNIPPET.exec(token.content.trim());
      if (!match) {
        problem(`malformed snippet "${token.content.trim()}": write <!-- snippet: NN-lesson#slide:name --> or <!-- snippet: NN-lesson#slide:name lines 1-8,12-20 -->`, line);
        continue;
      }
      const { lesson, region, lines: ranges } = match.groups!;
      const file = solutionFile(lesson, solutionsDir);
      if (!regionsOf.has(file)) {
        try {
          regionsOf.set(file, existsSync(file) ? readRegions(readFileSync(file, "utf8"), file) : new Error(`no file ${relative(ROOT, file)}`));
        } catch (err) {
          regionsOf.set(file, err as Error);
        }
      }
      const regions = regionsOf.get(file)!;
      const where = `snippet ${lesson}#${region}`;
      if (regions instanceof Error) problem(`${where}: ${regions.message}`, line);
      else if (!regions.has(region)) {
        const known = [...regions.keys()].filter((r) => r.startsWith("slide:"));
        problem(`${where}: no region "${region}" in ${relative(ROOT, file)} (it has: ${known.join(", ") || "none"})`, line);
      } else {
        const lines = token.map ? token.map[1] - token.map[0] : 1;
        if (lines !== 1) problem(`${where}: a snippet directive must be alone on one line`, line);
        try {
          const whole = regions.get(region)!.code;
          const code = ranges ? selectLines(whole, ranges) : whole;
          snippets.push({ lesson, region, line: line!, file, ...(ranges ? { lines: ranges } : {}), code });
        } catch (err) {
          problem(`${where}: ${(err as Error).message}`, line);
        }
      }
    }
    if (token.type === "fence" && CODE_LANGUAGES.has(token.info.trim().split(/\s+/)[0].toLowerCase())) {
      problem(`hand-written ${token.info.trim()} code: code on a slide comes from a solution, <!-- snippet: NN-lesson#slide:name -->`, line);
    }
    for (const child of token.children ?? []) {
      const isImage = child.type === "image";
      const url = child.type === "link_open" ? child.attrGet("href") : isImage ? child.attrGet("src") : null;
      if (!url) continue;
      if (isExternal(url)) {
        if (isImage && !url.startsWith("data:")) problem(`remote image ${url}: a deck must work offline, put it in slides/decks/${ASSETS}/`, line);
        continue;
      }
      const path = decodeURIComponent(url.replace(/[?#].*$/, ""));
      if (path === "") continue; // a link within the deck (#3)
      const target = resolve(dirname(deck.path), path);
      if (!existsSync(target)) {
        problem(`broken ${isImage ? "image" : "link"} ${url}: ${relative(ROOT, target)} does not exist`, line);
        continue;
      }
      // A link to another deck points at its HTML once built.
      if (!isImage && target.endsWith(".md") && dirname(dirname(target)) === resolve(decksDir) && line) {
        const to = url.replace(/\.md(?=$|[?#])/, ".html");
        linkRewrites.set(line, [...(linkRewrites.get(line) ?? []), { from: `(${url})`, to: `(${to})` }]);
      }
    }
  }
  if (problems.length > 0) throw new DeckError(problems);

  // The Markdown for Marp: every snippet line becomes a fenced block with the region's code.
  const output = [...lines];
  for (const [line, rewrites] of linkRewrites) {
    for (const { from, to } of rewrites) output[line - 1] = output[line - 1].split(from).join(to);
  }
  for (const snippet of snippets) {
    const fence = "`".repeat(Math.max(3, ...[...snippet.code.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    output[snippet.line - 1] = `${fence}ts\n${snippet.code}\n${fence}`;
  }
  return { ...deck, title, markdown: output.join("\n"), slides, snippets };
}

/** Prepares many decks, collecting every deck's problems into one DeckError. */
export function prepareDecks(decks: DeckFile[], options: { solutionsDir?: string; decksDir?: string } = {}): PreparedDeck[] {
  const prepared: PreparedDeck[] = [];
  const problems: Problem[] = [];
  for (const deck of decks) {
    try {
      prepared.push(prepareDeck(deck, options));
    } catch (err) {
      if (err instanceof DeckError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new DeckError(problems);
  return prepared;
}

/** The fenced code blocks of some Markdown, with their language: what a deck shows as code. */
export function codeBlocks(markdown: string): { lang: string; code: string; line: number }[] {
  return parse(markdownParser(), markdown)
    .filter((t) => t.type === "fence")
    .map((t) => ({ lang: t.info.trim().split(/\s+/)[0], code: t.content.replace(/\n$/, ""), line: lineOf(t, 0)! }));
}

// ─── Building ─────────────────────────────────────────────────────────────────────────────────

export interface BuildOptions {
  decksDir?: string;
  solutionsDir?: string;
  outDir?: string;
  /** Build only these decks ("04-s3", "es/04-s3", or a path to the .md). All when empty. */
  only?: string[];
  /** Keep Marp's own progress lines off the console. */
  quiet?: boolean;
}

export interface BuiltDeck extends PreparedDeck {
  html: string;
}

export interface BuildResult {
  outDir: string;
  index: string;
  decks: BuiltDeck[];
}

function isWanted(deck: DeckFile, wanted: string): boolean {
  const name = wanted.replace(/\.md$/, "");
  return name === deck.name || name === `${deck.lang}/${deck.name}` || resolve(wanted) === deck.path;
}

function selectDecks(decks: DeckFile[], only: string[]): DeckFile[] {
  if (only.length === 0) return decks;
  const unknown = only.filter((wanted) => !decks.some((deck) => isWanted(deck, wanted)));
  if (unknown.length > 0) {
    const names = [...new Set(decks.map((d) => d.name))].join(", ");
    throw new DeckError(unknown.map((wanted) => ({ file: wanted, message: `no such deck (there are: ${names})` })));
  }
  return decks.filter((deck) => only.some((wanted) => isWanted(deck, wanted)));
}

/** Runs Marp CLI (its Node API) over a folder of prepared Markdown. */
async function marp(args: string[], quiet: boolean): Promise<void> {
  const { marpCli } = await import("@marp-team/marp-cli");
  const warn = console.warn;
  const errors: string[] = [];
  // Marp CLI reports through console.warn: keep its errors, drop its progress lines when quiet.
  console.warn = (...line: unknown[]) => {
    const text = line.map(String).join(" ");
    if (/ERROR/.test(text)) errors.push(text);
    if (!quiet || /ERROR|WARN/.test(text)) warn(...line);
  };
  try {
    const code = await marpCli(args);
    if (code !== 0) throw new Error(`Marp CLI failed (exit ${code})${errors.length ? `:\n${errors.join("\n")}` : ""}`);
  } finally {
    console.warn = warn;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * Puts each line of a highlighted block of code (the HTML inside its <code>) in its own
 * `<span class="line" style="--indent: Nch">`, N being the line's indentation, so that the theme
 * can wrap a long line under itself, indented, instead of at the left edge. Highlighting spans that
 * cross a line break are closed at the end of the line and opened again on the next. The text is
 * unchanged: only tags are added.
 */
export function wrapCodeLines(html: string): string {
  const open: string[] = [];
  return html
    .split("\n")
    .map((line, index, lines) => {
      const reopened = open.join("");
      for (const tag of line.match(/<\/?span\b[^>]*>/g) ?? []) {
        if (tag.startsWith("</")) open.pop();
        else open.push(tag);
      }
      const text = line.replace(/<[^>]*>/g, "");
      const indent = /^ */.exec(text)![0].length;
      const last = index === lines.length - 1;
      if (last && text === "") return reopened + line;
      return `<span class="line" style="--indent: ${indent}ch">${reopened}${line}${"</span>".repeat(open.length)}${last ? "" : "\n"}</span>`;
    })
    .join("");
}

/** Every block of TypeScript and shell in a built page, its lines wrapped by wrapCodeLines. */
function wrapCodeBlocks(page: string): string {
  return page.replace(/(<code class="language-(?:ts|sh)">)([\s\S]*?)(<\/code>)/g, (_, start: string, code: string, end: string) => start + wrapCodeLines(code) + end);
}

/** slides/dist/index.html: every built deck, by language. */
export function writeIndex(outDir: string, decks: { lang: Language; name: string; title: string }[]): string {
  const sections = (Object.entries(LANGUAGES) as [Language, string][])
    .map(([lang, language]) => {
      const items = decks
        .filter((d) => d.lang === lang && existsSync(join(outDir, lang, `${d.name}.html`)))
        .map((d) => `      <li><a href="${lang}/${d.name}.html">${escapeHtml(d.title)}</a></li>`);
      return items.length === 0 ? "" : `    <section lang="${lang}">\n      <h2>${language}</h2>\n      <ul>\n${items.join("\n")}\n      </ul>\n    </section>`;
    })
    .filter(Boolean)
    .join("\n");
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>No toca BOTÓN · slides</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 3rem auto; padding: 0 1rem; color: #232f3e; }
    h1 { border-bottom: 4px solid #ff9900; padding-bottom: .3rem; }
    ul { list-style: none; padding: 0; }
    li { margin: .4rem 0; }
    a { color: #0b5cad; text-decoration: none; }
    a:hover { text-decoration: underline; }
    kbd { border: 1px solid #c4ccd6; border-radius: 3px; padding: 0 .3em; font-size: .9em; }
    main { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 2rem; }
  </style>
</head>
<body>
  <h1>No toca BOTÓN · slides</h1>
  <p>The talk "no toca BOTOn! (aka. Amazon Web Services desde Python)", PyCon Argentina, as decks: an opening,
  one per lesson and a closing. Open one, then use the arrow keys: <kbd>p</kbd> opens the presenter view with the
  speaker notes, <kbd>f</kbd> goes full screen.</p>
  <main>
${sections}
  </main>
</body>
</html>
`;
  const index = join(outDir, "index.html");
  writeFileSync(index, html);
  return index;
}

/** The title in a deck's front matter, without resolving its snippets: enough for the index. */
function titleOf(path: string): string {
  const marp = markdownParser();
  parse(marp, readFileSync(path, "utf8"));
  return String((marp as unknown as { lastGlobalDirectives: { title?: string } }).lastGlobalDirectives.title ?? basename(path, ".md"));
}

/**
 * Checks and builds decks to HTML: outDir/<lang>/<name>.html, outDir/assets/ and outDir/index.html.
 * Throws a DeckError naming each deck, line and problem; nothing is written then.
 */
export async function buildDecks(options: BuildOptions = {}): Promise<BuildResult> {
  const decksDir = resolve(options.decksDir ?? DECKS_DIR);
  const outDir = resolve(options.outDir ?? DIST_DIR);
  const all = findDecks(decksDir);
  if (all.length === 0) throw new DeckError([{ file: decksDir, message: "no decks (<lang>/*.md) here" }]);
  const only = options.only ?? [];
  const prepared = prepareDecks(selectDecks(all, only), { solutionsDir: options.solutionsDir, decksDir });

  const stage = mkdtempSync(join(tmpdir(), "nt-slides-"));
  try {
    for (const deck of prepared) {
      mkdirSync(join(stage, deck.lang), { recursive: true });
      writeFileSync(join(stage, deck.lang, `${deck.name}.md`), deck.markdown);
    }
    if (only.length === 0) {
      // A full build starts clean, so a renamed deck leaves no stale page behind.
      for (const dir of [...Object.keys(LANGUAGES), ASSETS]) rmSync(join(outDir, dir), { recursive: true, force: true });
    }
    mkdirSync(outDir, { recursive: true });
    const themes = existsSync(THEMES_DIR) ? readdirSync(THEMES_DIR).filter((f) => f.endsWith(".css")).map((f) => join(THEMES_DIR, f)) : [];
    await marp(
      [
        "--no-config-file",
        ["--input-dir", stage],
        ["--output", outDir],
        themes.length > 0 ? ["--theme-set", ...themes] : [],
        "--bespoke.progress",
      ].flat(),
      options.quiet ?? false,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  if (existsSync(join(decksDir, ASSETS))) cpSync(join(decksDir, ASSETS), join(outDir, ASSETS), { recursive: true });

  const decks = prepared.map((deck) => ({ ...deck, html: join(outDir, deck.lang, `${deck.name}.html`) }));
  for (const deck of decks) {
    if (!existsSync(deck.html) || statSync(deck.html).size === 0) throw new DeckError([{ file: deck.path, message: `Marp wrote no ${deck.html}` }]);
    writeFileSync(deck.html, wrapCodeBlocks(readFileSync(deck.html, "utf8")));
  }
  const index = writeIndex(outDir, all.map((d) => ({ lang: d.lang, name: d.name, title: titleOf(d.path) })));
  return { outDir, index, decks };
}
