// Asking before anything that changes or reveals the attendee's work. With --yes, or without
// a terminal to ask on, no question is asked: scripts must pass --yes to go ahead.
import { CliError } from "./errors";
import { t } from "../i18n";

export async function askFirst(question: string, options: { yes?: boolean; flagHint: string }): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError(`${question}\n${t("cli.confirm.noTerminal", { flag: options.flagHint })}`, 1);
  }
  const { confirm } = await import("@inquirer/prompts");
  try {
    // In the learner's language: "s/N" and "Sí" in Spanish (y, yes, n and no are always taken too).
    const keywords = { yes: t("cli.confirm.yes"), no: t("cli.confirm.no"), error: ({ yes, no }: { yes: string; no: string }) => t("cli.confirm.error", { yes, no }) };
    return await confirm({ message: question, default: false, theme: { keywords } });
  } catch (err) {
    // Ctrl-C at the question: the same as "no".
    if ((err as Error).name === "ExitPromptError") return false;
    throw err;
  }
}
