// Text longer than the screen goes through a pager: $PAGER, else `less -R`, else it is printed.
import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";

/** Rows the text takes in a terminal `columns` wide. */
export function rowsOf(text: string, columns: number): number {
  return text.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(stripVTControlCharacters(line).length / Math.max(1, columns))), 0);
}

/** Resolves once the pager is closed (or the text printed). */
export async function page(text: string, out: NodeJS.WriteStream = process.stdout): Promise<void> {
  const fits = !out.isTTY || rowsOf(text, out.columns || 80) < (out.rows || 24);
  if (fits) {
    out.write(text + "\n");
    return;
  }
  const command = process.env.PAGER?.trim() || "less -R";
  const shown = await new Promise<boolean>((resolve) => {
    const child = spawn(command, { shell: true, stdio: ["pipe", "inherit", "inherit"], env: { LESS: "FRX", ...process.env } });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code !== 127));
    child.stdin.on("error", () => {});
    child.stdin.end(text + "\n");
  });
  if (!shown) out.write(text + "\n");
}
