// Drives the nixlab provider the way the engine does (check → diff → create/update → read →
// delete), in-process, against the real tools. A recording runner wraps the real one so tests can
// assert which commands ran (e.g. that a no-op started no `nix build`).
import { execaRunner, type Runner, type RunOptions } from "../../provider/exec";
import { NixlabProvider } from "../../provider/plugin";
import { definitions } from "../../provider/registry";
import { nixEnv } from "./env";

export interface Call {
  cmd: string;
  args: readonly string[];
}

export function recordingRunner(): { run: Runner; calls: Call[] } {
  const calls: Call[] = [];
  const run: Runner = (cmd, args, opts: RunOptions = {}) => {
    calls.push({ cmd, args });
    return execaRunner(cmd, args, { ...opts, env: { ...nixEnv(), ...opts.env } });
  };
  return { run, calls };
}

export const urnOf = (type: string, name: string): string =>
  `urn:pulumi:test::nixlab-tests::${type}::${name}`;

export function testProvider(): { provider: NixlabProvider; calls: Call[] } {
  const { run, calls } = recordingRunner();
  return { provider: new NixlabProvider("0.0.0-test", definitions, run), calls };
}

/** `nix <sub>` calls, e.g. builds("build"). */
export const nixCalls = (calls: Call[], sub: string): Call[] =>
  calls.filter((c) => c.cmd === "nix" && c.args[0] === sub);
