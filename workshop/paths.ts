// Where things live. Every other module asks here instead of guessing.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Git-ignored state (WORKSHOP_STATE_DIR moves it, for tests): moto's virtual environment, the shared emulator, progress, backups. */
export const STATE_DIR = process.env.WORKSHOP_STATE_DIR || join(ROOT, ".workshop");
export const LESSONS_DIR = join(ROOT, "lessons");
export const SOLUTIONS_DIR = join(ROOT, "solutions");
export const SHARED_EMULATOR_FILE = join(STATE_DIR, "emulator.json");
