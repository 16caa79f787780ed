// Watching a lesson's folder for saves. File events are missed on some file systems (WSL2's
// /mnt/c, network and mounted folders): there, poll instead (--poll or WORKSHOP_POLL=1),
// and a key press always checks at once.
import { release } from "node:os";
import { watch, type FSWatcher } from "chokidar";
import type { Lesson } from "../lessons";
import { ROOT } from "../paths";
import { t } from "../i18n";

export interface WatchMode {
  poll: boolean;
  /** Why polling was chosen, for the screen. */
  reason?: string;
}

export const POLL_INTERVAL_MS = 500;

/** --poll, WORKSHOP_POLL=1, or WSL2 working on a Windows drive (where inotify sees nothing). */
export function watchMode(flag?: boolean, env = process.env): WatchMode {
  if (flag) return { poll: true, reason: "--poll" };
  if (env.WORKSHOP_POLL === "1") return { poll: true, reason: "WORKSHOP_POLL=1" };
  if (process.platform === "linux" && /microsoft/i.test(release()) && ROOT.startsWith("/mnt/")) {
    return { poll: true, reason: "wsl" };
  }
  return { poll: false };
}

export function describeWatchMode(mode: WatchMode): string {
  if (!mode.poll) return t("cli.watch.watching");
  const reason = mode.reason === "wsl" ? t("cli.watch.wsl") : (mode.reason ?? "");
  return t("cli.watch.polling", { seconds: POLL_INTERVAL_MS / 1000, reason });
}

/**
 * Calls onSave (debounced) whenever a .ts file in the lesson's folder is saved.
 * Editors that save by writing a new file and renaming it over the old one count too.
 */
export function watchLesson(lesson: Lesson, mode: WatchMode, onSave: (file: string) => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(lesson.dir, {
    ignoreInitial: true,
    depth: 2,
    usePolling: mode.poll,
    interval: POLL_INTERVAL_MS,
    ignored: (path, stats) => /node_modules/.test(path) || Boolean(stats?.isFile() && !path.endsWith(".ts")),
  });
  const fire = (file: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => onSave(file), 150);
  };
  watcher.on("add", fire).on("change", fire);
  watcher.on("error", () => {
    // A watcher error (too many watched files, a vanished folder) must not end the session:
    // checking on a key press still works.
  });
  const close = watcher.close.bind(watcher);
  watcher.close = async () => {
    clearTimeout(timer);
    await close();
  };
  return watcher;
}
