// `npm run check`'s way to a verdict: handed to a running workshop process when one listens
// (handoff.ts), else checked in this process. One progress display at a time: the spinner
// shows the moto install's steps too (instead of a second spinner of its own).
import type { Ora } from "ora";
import type { CheckResult } from "../check/verdict";
import type { Lesson } from "../lessons";
import type { LessonTarget } from "../testing";
import { handOff } from "./handoff";
import { lang } from "../i18n";

export async function runChecksHere(lessons: Lesson[], target: LessonTarget, spinner: Ora, chaos?: number, full?: boolean): Promise<CheckResult[]> {
  // A check under chaos runs here: the running session has its own chaos setting (its x key).
  const handed = chaos === undefined && (await handOff({ lessons: lessons.map((l) => l.slug), target, lang: lang(), ...(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {}), ...(full ? { full: true } : {}) }));
  if (handed) return handed;
  if (spinner.isEnabled) spinner.start();
  const { onSetupProgress } = await import("../emulator/moto");
  const base = spinner.text;
  const stopListening = onSetupProgress((text) => {
    const finished = /^moto is installed/.test(text);
    if (!spinner.isEnabled) process.stderr.write(`${text}\n`);
    else if (finished) spinner.stopAndPersist({ symbol: "✓", text }).start(base);
    else spinner.text = text;
  });
  try {
    const { runChecks } = await import("../check");
    spinner.text = base;
    return await runChecks(lessons, { target, chaos, lang: lang() });
  } finally {
    stopListening();
    spinner.stop();
  }
}
