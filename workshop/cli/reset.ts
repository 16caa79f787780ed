// `reset`: puts back the untouched exercise from git, after keeping the attendee's version
// in .workshop/backups/, so nothing typed is ever lost.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rel, type Lesson } from "../lessons";
import { ROOT, STATE_DIR } from "../paths";
import { CliError } from "./errors";
import { t } from "../i18n";
import { updateProgress } from "./progress";

export const BACKUP_DIR = join(STATE_DIR, "backups");

function git(args: string[]): { ok: boolean; out: string; err: string } {
  const run = spawnSync("git", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  return { ok: run.status === 0, out: run.stdout ?? "", err: (run.stderr ?? "") || (run.error?.message ?? "") };
}

/**
 * The commit that holds the untouched exercises: where this checkout meets its upstream
 * (so that the attendee's own commits do not count as untouched), or HEAD without one.
 */
function pristineCommit(): string {
  const upstream = git(["rev-parse", "--verify", "--quiet", "@{upstream}"]);
  if (upstream.ok) {
    const base = git(["merge-base", "HEAD", upstream.out.trim()]);
    if (base.ok) return base.out.trim();
  }
  return "HEAD";
}

/** The exercise as the workshop shipped it, from git. */
export function pristineExercise(lesson: Lesson): { content: string; commit: string } {
  const file = rel(lesson.exercise).replace(/\\/g, "/");
  const inside = git(["rev-parse", "--is-inside-work-tree"]);
  if (!inside.ok || inside.out.trim() !== "true") {
    throw new CliError(t(inside.err.includes("ENOENT") ? "cli.reset.noGitInstalled" : "cli.reset.noGit", { file }));
  }
  const commit = pristineCommit();
  const shown = git(["show", `${commit}:./${file}`]);
  if (!shown.ok) {
    throw new CliError(t("cli.reset.notInGit", { file, commit: commit === "HEAD" ? "HEAD" : commit.slice(0, 10) }));
  }
  return { content: shown.out, commit: commit === "HEAD" ? "HEAD" : commit.slice(0, 10) };
}

export interface ResetOutcome {
  /** Where the attendee's version was kept, or undefined when there was nothing to keep. */
  backup?: string;
  unchanged: boolean;
  commit: string;
}

function timestamp(): string {
  // No ":" in file names, for Windows.
  return new Date().toISOString().replace(/[:.]/g, "-");
}

export async function resetLesson(lesson: Lesson): Promise<ResetOutcome> {
  const { content, commit } = pristineExercise(lesson);
  const mine = existsSync(lesson.exercise) ? readFileSync(lesson.exercise, "utf8") : undefined;
  if (mine === content) return { unchanged: true, commit };
  let backup: string | undefined;
  // All under the progress file's lock, taken first: if .workshop/ cannot be written, the lock
  // fails before anything is touched, and the exercise is rewritten only once its backup is saved.
  await updateProgress((progress) => {
    if (mine !== undefined) {
      mkdirSync(BACKUP_DIR, { recursive: true });
      backup = join(BACKUP_DIR, `${lesson.slug}-${timestamp()}.ts`);
      writeFileSync(backup, mine);
    }
    writeFileSync(lesson.exercise, content);
    // The untouched exercise does not pass: the lesson starts over.
    const entry = progress.lessons[lesson.slug];
    if (entry) {
      delete entry.status;
      delete entry.passed;
      delete entry.failed;
    }
  });
  return { backup: backup && rel(backup), unchanged: false, commit };
}
