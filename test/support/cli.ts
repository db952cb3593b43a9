// Runs the `tid` command in process, as the test suites of cli/ do: main() with an io that
// collects what the command prints, and the exit code it returns.
import { main } from "../../cli/main.js";

export interface TidRun {
  code: number;
  /** everything written to standard output, one call per line */
  out: string;
  /** everything written to standard error */
  err: string;
  /** standard output parsed as one JSON document */
  json: () => Record<string, unknown>;
}

/** `tid ARGS…` with the environment `env` (nothing of the process's own environment). */
export async function tid(args: string[], env: Record<string, string | undefined> = {}): Promise<TidRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), env });
  const text = out.join("\n");
  return { code, out: text, err: err.join("\n"), json: () => JSON.parse(text) as Record<string, unknown> };
}
