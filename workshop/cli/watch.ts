// `npm start -- watch [lesson]`: the dashboard's loop without the full screen, for scripts,
// editors' terminals and people who prefer plain output: one verdict per save.
import { emitKeypressEvents } from "node:readline";
import { onSetupProgress } from "../emulator/moto";
import { rel, type Lesson } from "../lessons";
import { Checker, Serialized } from "./checker";
import { setCurrent } from "./progress";
import { pc } from "./ui";
import { t } from "../i18n";
import { describeCheckError, describeVerdict } from "./verdict";
import { describeWatchMode, watchLesson, watchMode } from "./watcher";

export async function runWatch(lesson: Lesson, options: { poll?: boolean } = {}): Promise<number> {
  const mode = watchMode(options.poll);
  const checker = new Checker();
  const keys = Boolean(process.stdin.isTTY);
  await setCurrent(lesson.slug);

  let runs = 0;
  let reason = t("cli.watch.reason.start");
  const checks = new Serialized(async () => {
    runs += 1;
    console.log(pc.dim(`\n── ${t("cli.watch.run", { n: runs, reason, time: new Date().toLocaleTimeString() })} ──`));
    try {
      const result = await checker.check(lesson);
      console.log(describeVerdict(result, (next) => t("cli.watch.howNext", { number: next.number })));
    } catch (err) {
      console.log(describeCheckError(err));
    }
    reason = t("cli.watch.reason.savedAgain");
  });
  async function check(why: string): Promise<void> {
    if (!checks.busy) reason = why;
    await checks.request();
  }

  console.log(t("cli.lesson.heading", { number: lesson.number, title: lesson.title }));
  console.log(`${describeWatchMode(mode)}: ${rel(lesson.dir)}. ` + (keys ? t("cli.watch.keys", { c: pc.bold("c"), q: pc.bold("q") }) : t("cli.watch.stop")));
  const watcher = watchLesson(lesson, mode, (file) => void check(t("cli.watch.reason.saved", { file: rel(file) })));
  // moto's first-run install: its steps as plain lines among the verdicts, not a spinner of its own.
  onSetupProgress((text) => console.log(pc.dim(text)));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      if (keys) process.stdin.setRawMode(false);
      process.stdin.pause();
      await watcher.close();
      await checker.stop().catch(() => {});
      resolve(0);
    };
    if (keys) {
      emitKeypressEvents(process.stdin);
      process.stdin.setRawMode(true);
      process.stdin.on("keypress", (_str: string, key: { name?: string; ctrl?: boolean }) => {
        if (key?.name === "q" || (key?.ctrl && key.name === "c")) void stop();
        else if (key?.name === "c" || key?.name === "return") void check(t("cli.watch.reason.key"));
      });
      process.stdin.resume();
    }
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
    void check(t("cli.watch.reason.start"));
  });
}
