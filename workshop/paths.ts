// Where things live. Every other module asks here instead of guessing.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { t } from "./i18n";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Git-ignored state (WORKSHOP_STATE_DIR moves it, for tests): moto's virtual environment, the shared emulator, progress, backups. */
export const STATE_DIR = process.env.WORKSHOP_STATE_DIR || join(ROOT, ".workshop");
export const LESSONS_DIR = join(ROOT, "lessons");
export const SOLUTIONS_DIR = join(ROOT, "solutions");
export const SHARED_EMULATOR_FILE = join(STATE_DIR, "emulator.json");

/**
 * When err is the state folder refusing a write (EACCES, EPERM, EROFS: typically a `.workshop/`
 * made by a `sudo npm …`), one plain sentence saying what, why and what to do; else undefined.
 */
export function explainStateError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || !["EACCES", "EPERM", "EROFS"].includes(e.code ?? "")) return undefined;
  const path = e.path ?? (e as { dest?: string }).dest ?? "";
  if (path && !path.startsWith(STATE_DIR)) return undefined;
  const shown = STATE_DIR.startsWith(ROOT) ? STATE_DIR.slice(ROOT.length).replace(/^[\\/]/, "") || "." : STATE_DIR;
  return t(e.code === "EROFS" ? "cli.state.readOnly" : "cli.state.otherUser", { dir: shown });
}
