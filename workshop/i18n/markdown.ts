// The shape of a Markdown file that both languages must share: its headings' levels, the TODO
// numbers its prose names, and its fenced code blocks. Used by the sync tests (i18n.test.ts for
// each lesson's two READMEs, readme.test.ts for the workshop's own).
import { readFileSync } from "node:fs";

export interface Fenced {
  info: string;
  body: string;
}

export function markdown(file: string) {
  const text = readFileSync(file, "utf8");
  const blocks: Fenced[] = [];
  const prose: string[] = [];
  let open: Fenced | undefined;
  for (const line of text.split("\n")) {
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence && !open) open = { info: fence[2].trim(), body: "" };
    else if (fence && open) (blocks.push(open), (open = undefined));
    else if (open) open.body += `${line}\n`;
    else prose.push(line);
  }
  const body = prose.join("\n");
  return {
    text,
    blocks,
    headings: prose.filter((l) => /^#{1,6} /.test(l)).map((l) => /^#+/.exec(l)![0].length),
    todos: [...new Set([...body.matchAll(/\bTODO\s*(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b),
  };
}

/** A code block whose info string is `text` (a demo's output, a screen) is translated; every other one is code. */
export const isCode = (block: Fenced) => !/^(text|console|output)\b/.test(block.info);

/**
 * A mermaid diagram with its labels taken out: what is inside "…", |…|, […], (…) and {…} (the
 * brackets themselves stay, they draw the node's shape), and a state transition's ": label".
 * The two READMEs may word a diagram's labels each in its language, but must draw the same
 * diagram: the same nodes, shapes, arrows and lines, in the same order.
 */
export function mermaidShape(body: string): string {
  return body
    .split("\n")
    .map((line) => {
      const unquoted = line.replace(/"[^"]*"/g, '""').replace(/\|[^|]*\|/g, "||");
      let shape = "";
      let depth = 0;
      for (const c of unquoted) {
        if ("[({".includes(c)) depth++;
        if (depth === 0 || "[({})]".includes(c)) shape += c;
        if ("])}".includes(c)) depth = Math.max(0, depth - 1);
      }
      if (/-->/.test(shape)) shape = shape.replace(/:.*$/, ":");
      return shape.trimEnd();
    })
    .join("\n");
}
