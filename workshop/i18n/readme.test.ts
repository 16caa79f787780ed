// The workshop's own README, the first thing an attendee reads, in both languages: README.md and
// README.es.md link to each other at the top, have the same sections and the same code blocks.
// The same rules as each lesson's two READMEs (i18n.test.ts), with the same reading of Markdown.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../paths";
import { isCode, markdown } from "./markdown";

const readmeEn = join(ROOT, "README.md");
const readmeEs = join(ROOT, "README.es.md");

/** Where the README's links to the lessons' READMEs point, in order. */
const lessonLinks = (text: string) => [...text.matchAll(/\]\((lessons\/[^)#\s]+)\)/g)].map((m) => m[1]);

describe("the workshop's README in both languages", () => {
  test("README.md and README.es.md link to each other in their first lines", () => {
    expect(existsSync(readmeEs), "README.es.md exists beside README.md").toBe(true);
    const first = (file: string) => readFileSync(file, "utf8").split("\n")[0];
    expect(first(readmeEn), "README.md's first line links to README.es.md").toMatch(/\[Español\]\(\.?\/?README\.es\.md\)/);
    expect(first(readmeEs), "README.es.md's first line links to README.md").toMatch(/\[English\]\(\.?\/?README\.md\)/);
  });

  test("the same headings' levels, in order", () => {
    const [en, es] = [markdown(readmeEn), markdown(readmeEs)];
    expect(en.headings.length, "README.md has headings").toBeGreaterThan(0);
    expect(es.headings, "the headings' levels, in order").toEqual(en.headings);
  });

  test("the same code blocks: same count and info strings, code identical (only text blocks are translated)", () => {
    const [en, es] = [markdown(readmeEn), markdown(readmeEs)];
    expect(en.blocks.length, "README.md has code blocks").toBeGreaterThan(0);
    expect(es.blocks.map((b) => b.info), "the code blocks' info strings, in order").toEqual(en.blocks.map((b) => b.info));
    en.blocks.forEach((block, i) => {
      if (isCode(block)) expect(es.blocks[i]?.body, `code block ${i + 1} (code is the same in both languages)`).toBe(block.body);
    });
  });

  test("the Spanish README sends the reader to each lesson's Spanish README", () => {
    const [en, es] = [lessonLinks(readFileSync(readmeEn, "utf8")), lessonLinks(readFileSync(readmeEs, "utf8"))];
    const lessonReadmes = (links: string[]) => links.filter((l) => /^lessons\/\d\d-[^/]+\/README(\.es)?\.md$/.test(l));
    expect(lessonReadmes(en).length, "README.md links to the lessons' READMEs").toBeGreaterThan(0);
    expect(lessonReadmes(es), "README.es.md's links to the lessons: their README.es.md, in the same order").toEqual(
      lessonReadmes(en).map((l) => l.replace(/README\.md$/, "README.es.md")),
    );
  });
});
