// An error the CLI explains in plain words and turns into an exit code, without a stack trace.
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    /** 1: the thing asked for did not happen (declined, refused); 2: it could not be tried. */
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export { explainStateError } from "../paths";
