// Nothing falls out of sync between the two languages: the harness's strings, each lesson's
// lesson.json, its two READMEs, and the failure messages of its tests.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { listLessons } from "../lessons";
import { catalog, fill, langFrom, LANGS, pick, say, t } from "./index";
import { isCode, markdown, mermaidShape } from "./markdown";

const placeholders = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the language switch", () => {
  test("WORKSHOP_LANG wins, then LC_ALL, LC_MESSAGES and LANG; Spanish for any es*, English otherwise", () => {
    expect(langFrom({})).toBe("en");
    expect(langFrom({ LANG: "es_AR.UTF-8" })).toBe("es");
    expect(langFrom({ LANG: "es" })).toBe("es");
    expect(langFrom({ LANG: "es_ES@euro" })).toBe("es");
    expect(langFrom({ LANG: "en_US.UTF-8", LC_MESSAGES: "es_MX.UTF-8" })).toBe("es");
    expect(langFrom({ LANG: "es_AR.UTF-8", LC_ALL: "C" })).toBe("en");
    expect(langFrom({ LANG: "de_DE.UTF-8" })).toBe("en");
    expect(langFrom({ LANG: "et_EE.UTF-8" })).toBe("en");
    expect(langFrom({ LANG: "es_AR.UTF-8", WORKSHOP_LANG: "en" })).toBe("en");
    expect(langFrom({ LANG: "C", WORKSHOP_LANG: "ES" })).toBe("es");
    expect(langFrom({ LANG: "es_AR.UTF-8", WORKSHOP_LANG: "fr" })).toBe("es");
  });

  test("t() fills placeholders in the language asked for; say() and pick() choose a side", () => {
    expect(t("lang.switched", { key: "l" }, "en")).toContain("l");
    expect(t("lang.switched", { key: "l" }, "es")).not.toBe(t("lang.switched", { key: "l" }, "en"));
    expect(fill("{a} and {b}", { a: 1 })).toBe("1 and {b}");
    expect(say("yes", "sí", "es")).toBe("sí");
    expect(say("yes", "sí", "en")).toBe("yes");
    expect(pick({ en: "bucket", es: "bucket (balde)" }, "es")).toBe("bucket (balde)");
    expect(pick("plain", "es")).toBe("plain");
  });
});

describe("the harness's strings (workshop/i18n/en.json and es.json)", () => {
  const [en, es] = [catalog("en"), catalog("es")];

  test("both files hold the same keys", () => {
    expect(Object.keys(es).filter((k) => !(k in en)), "keys only in es.json").toEqual([]);
    expect(Object.keys(en).filter((k) => !(k in es)), "keys only in en.json").toEqual([]);
  });

  test("each message has the same placeholders in both, and none is empty", () => {
    for (const key of Object.keys(en)) {
      expect(placeholders(es[key] ?? ""), `placeholders of ${key}`).toEqual(placeholders(en[key]));
      for (const l of LANGS) expect(catalog(l)[key]?.trim(), `${l}.json: ${key}`).toBeTruthy();
    }
  });
});

// ── The lessons ──────────────────────────────────────────────────────────────────────────────

describe("mermaidShape: a diagram's labels may be translated, not its structure", () => {
  const en = [
    "flowchart LR",
    '  subgraph res["Reservation r-…"]',
    "  user((browser)) -->|HTTP :80| alb[Load balancer<br/>two zones]",
    "  t -.->|kept in step| i[(index byProduct)]",
    '  image["Image (AMI)"] -- "RunInstances<br/>tags" --> res',
    "  lbsg{{group:<br/>80 from 0.0.0.0/0}} -.- alb",
  ].join("\n");
  const es = [
    "flowchart LR",
    '  subgraph res["Reserva r-…"]',
    "  user((navegador)) -->|HTTP :80| alb[Balanceador de carga<br/>dos zonas]",
    "  t -.->|sincronizado| i[(índice byProduct)]",
    '  image["Imagen (AMI)"] -- "RunInstances<br/>etiquetas" --> res',
    "  lbsg{{grupo:<br/>80 desde 0.0.0.0/0}} -.- alb",
  ].join("\n");

  test("the same diagram with its labels translated has the same shape", () => {
    expect(mermaidShape(es)).toBe(mermaidShape(en));
    expect(mermaidShape("stateDiagram-v2\n  InFlight --> Visible: timeout expires")).toBe(
      mermaidShape("stateDiagram-v2\n  InFlight --> Visible: vence el tiempo de espera"),
    );
  });

  test("another arrow, node, shape, target or line is another diagram", () => {
    expect(mermaidShape(es.replace("-.->", "-->"))).not.toBe(mermaidShape(en));
    expect(mermaidShape(es.replace("alb[", "lb["))).not.toBe(mermaidShape(en));
    expect(mermaidShape(es.replace("i[(índice byProduct)]", "i[índice byProduct]"))).not.toBe(mermaidShape(en));
    expect(mermaidShape(es.replace("user((navegador))", "user(navegador)"))).not.toBe(mermaidShape(en));
    expect(mermaidShape(`${es}\n  alb --> t`)).not.toBe(mermaidShape(en));
    expect(mermaidShape("stateDiagram-v2\n  InFlight --> Visible: a")).not.toBe(mermaidShape("stateDiagram-v2\n  InFlight --> Gone: a"));
  });
});

/** Texts of lesson.json, with where they are: every one must be { en, es }. */
function texts(meta: Record<string, unknown>): Array<[where: string, value: unknown]> {
  const found: Array<[string, unknown]> = [["title", meta.title], ["summary", meta.summary]];
  for (const todo of (meta.todos as Array<Record<string, unknown>>) ?? []) {
    found.push([`todos[${todo.n}].step`, todo.step]);
    const hints = Array.isArray(todo.hints) ? todo.hints : [];
    hints.forEach((hint, i) => found.push([`todos[${todo.n}].hints[${i}]`, hint]));
  }
  return found;
}

/**
 * What a test file shows the learner in one language only, given as a bare string or template
 * instead of say(`…`, `…`): the message of expect(…, message), expect.soft and assert; the name
 * of a test or describe (the verdict shows it); what waitFor(what, …) and within(what, …) wait
 * for (a bare code name like "publishMessage" excepted); new Error(…).
 */
function untranslatedMessages(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const isText = (node: ts.Node) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression.getText(source);
      const args = node.arguments ?? ts.factory.createNodeArray();
      const message = /^(expect|expect\.soft|assert)$/.test(callee)
        ? args[1]
        : /^(test|it|describe|waitFor|within|Error|(test|it|describe)\.(skip|only|concurrent|sequential))$/.test(callee)
          ? args[0]
          : undefined;
      // A bare name of code ("publishMessage") reads the same in both languages.
      const codeName = message && ts.isStringLiteral(message) && /^[\w.]+$/.test(message.text);
      if (message && isText(message) && !codeName) {
        const { line } = source.getLineAndCharacterOfPosition(message.getStart(source));
        found.push(`${file.split("/").slice(-2).join("/")}:${line + 1}: ${message.getText(source).slice(0, 70)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe.each(listLessons().map((l) => [l.slug, l] as const))("lesson %s in both languages", (slug, lesson) => {
  const readmeEn = join(lesson.dir, "README.md");
  const readmeEs = join(lesson.dir, "README.es.md");

  test("lesson.json: every text is in English and in Spanish", () => {
    const meta = JSON.parse(readFileSync(join(lesson.dir, "lesson.json"), "utf8")) as Record<string, unknown>;
    const oneSided = texts(meta).filter(([, value]) => {
      const v = value as { en?: unknown; es?: unknown } | undefined;
      return !v || typeof v !== "object" || typeof v.en !== "string" || typeof v.es !== "string" || !v.en.trim() || !v.es.trim();
    });
    expect(oneSided.map(([where]) => where), `${slug}/lesson.json: texts without both { "en", "es" }`).toEqual([]);
  });

  test("README.md and README.es.md exist and link to each other at the top", () => {
    expect(existsSync(readmeEs), `${slug}/README.es.md`).toBe(true);
    const top = (file: string) => readFileSync(file, "utf8").split("\n").slice(0, 6).join("\n");
    expect(top(readmeEn), `the top of ${slug}/README.md links to README.es.md`).toMatch(/\]\(\.?\/?README\.es\.md\)/);
    expect(top(readmeEs), `the top of ${slug}/README.es.md links to README.md`).toMatch(/\]\(\.?\/?README\.md\)/);
  });

  test("the two READMEs have the same sections, TODO numbers and code blocks", () => {
    if (!existsSync(readmeEs)) return expect.fail(`${slug}/README.es.md is missing`);
    const [a, b] = [markdown(readmeEn), markdown(readmeEs)];
    expect(b.headings, "the headings' levels, in order").toEqual(a.headings);
    expect(b.todos, "the TODO numbers the README names").toEqual(a.todos);
    expect(b.blocks.length, "the number of code blocks").toBe(a.blocks.length);
    a.blocks.forEach((block, i) => {
      expect(b.blocks[i].info, `code block ${i + 1}'s language`).toBe(block.info);
      if (block.info === "mermaid")
        expect(mermaidShape(b.blocks[i].body), `code block ${i + 1} (a diagram: only its labels may be translated)`).toBe(mermaidShape(block.body));
      else if (isCode(block)) expect(b.blocks[i].body, `code block ${i + 1} (code is the same in both languages)`).toBe(block.body);
    });
  });

  test("every message and test name of its tests is written in both languages (say)", () => {
    const files = readdirSync(lesson.dir).filter((f) => f.endsWith(".test.ts"));
    expect(files.flatMap((f) => untranslatedMessages(join(lesson.dir, f))), "messages in one language only").toEqual([]);
  });
});
