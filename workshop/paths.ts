// Where things live. Every other module asks here instead of guessing.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

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
  const why = e.code === "EROFS" ? "it is on a read-only disk" : "it belongs to another user, as after a `sudo npm …`";
  return (
    `The workshop cannot write to ${shown}/ (where it keeps progress, backups and the emulators) because ${why}; ` +
    `nothing was changed: give it back to yourself with \`sudo chown -R "$(whoami)" ${shown}\` and run the command again.`
  );
}
