// Drive the real Pulumi CLI (built by scripts/setup/pulumi-engine) on a file:// backend.
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { nixEnv } from "./env";
import { pulumiBinDir } from "./paths";

export interface PulumiRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a person at the terminal sees them. */
  all: string;
}

export interface PulumiSandbox {
  /** Environment for `pulumi` and everything it starts (language host, provider plugins). */
  env: Record<string, string>;
  run(args: string[], opts: { cwd: string; reject?: boolean; input?: string }): Promise<PulumiRun>;
}

/** A private PULUMI_HOME and state backend under `dir`, with the offline engine settings. */
export function pulumiSandbox(
  dir: string,
  extraEnv: Record<string, string> = {},
  opts: { pathPrepend?: string[] } = {},
): PulumiSandbox {
  const home = path.join(dir, "pulumi-home");
  const state = path.join(dir, "pulumi-state");
  mkdirSync(home, { recursive: true });
  mkdirSync(state, { recursive: true });
  const env: Record<string, string> = {
    ...nixEnv(),
    PATH: [...(opts.pathPrepend ?? []), pulumiBinDir(), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "nixlab-tests",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    ...extraEnv,
  };
  return {
    env,
    async run(args, opts) {
      const r = await execa("pulumi", [...args, "--non-interactive"], {
        cwd: opts.cwd,
        env,
        reject: opts.reject ?? true,
        all: true,
        input: opts.input ?? "",
        timeout: 30 * 60_000,
      });
      return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all };
    },
  };
}
