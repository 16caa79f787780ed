// Asking before anything that changes or reveals the attendee's work. With --yes, or without
// a terminal to ask on, no question is asked: scripts must pass --yes to go ahead.
import { CliError } from "./errors";

export async function askFirst(question: string, options: { yes?: boolean; flagHint: string }): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError(`${question}\nThere is no terminal to ask in: add ${options.flagHint} to go ahead.`, 1);
  }
  const { confirm } = await import("@inquirer/prompts");
  try {
    return await confirm({ message: question, default: false });
  } catch (err) {
    // Ctrl-C at the question: the same as "no".
    if ((err as Error).name === "ExitPromptError") return false;
    throw err;
  }
}
