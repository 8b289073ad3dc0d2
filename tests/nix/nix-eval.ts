// Runs the real `nix` binaries for the tests of nix/: parsing, evaluating the pure helpers
// of nix/lib, and the Nix linters. Argument arrays only, never a shell string.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
export const nixDir = path.join(repoRoot, "nix");

/** Environment of every nix call: flakes on, and no binary cache to ask (there is none). */
export const nixEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NIX_CONFIG: "experimental-features = nix-command flakes\nsubstituters =",
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program and resolves with its exit code and output, whatever the code. */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env ?? nixEnv, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The arguments of `nix-instantiate --eval --strict --json` for an expression that is a
 * function of `{ nixDir, input }`: nixDir is the path of nix/ (so the expression can
 * `import (nixDir + "/lib")`), input the JSON text of `input`, parsed with
 * builtins.fromJSON. Passing data as JSON keeps Nix string quoting out of the tests.
 */
function evalArgs(expr: string, input: unknown): string[] {
  const wrapped = `{ nixDir, input }: let nixlab = import (nixDir + "/lib"); in (${expr}) (builtins.fromJSON input)`;
  return [
    "--eval",
    "--strict",
    "--json",
    "--expr",
    wrapped,
    "--arg",
    "nixDir",
    `/. + ${JSON.stringify(nixDir)}`,
    "--argstr",
    "input",
    JSON.stringify(input ?? null),
  ];
}

/**
 * Evaluates `expr`, a Nix function of the decoded `input` with `nixlab` (nix/lib) and
 * `nixDir` in scope, and returns its value decoded from JSON. Throws with nix's stderr
 * if evaluation fails.
 */
export async function nixEval<T = unknown>(expr: string, input: unknown = null): Promise<T> {
  const result = await run("nix-instantiate", evalArgs(expr, input));
  if (result.code !== 0) throw new Error(`nix evaluation failed (exit ${result.code}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Evaluates like nixEval but expects failure; returns the error message nix printed. */
export async function nixEvalError(expr: string, input: unknown = null): Promise<string> {
  const result = await run("nix-instantiate", evalArgs(expr, input));
  if (result.code === 0) throw new Error(`expected the evaluation to fail, got: ${result.stdout}`);
  return result.stderr;
}

/** Every .nix file under a directory, sorted. */
export function nixFiles(dir: string = nixDir): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".nix")) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** The nixlab cache directory, computed as scripts/lib/common.sh does. */
export function cacheDir(): string {
  const env = process.env;
  return env.NIXLAB_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "nixlab");
}

/** A program on PATH, or undefined. */
export function findProgram(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * A Nix linter: the one scripts/setup/nix-linters put in the cache, else one on PATH,
 * else undefined.
 */
export function findLinter(name: string): string | undefined {
  const cached = path.join(cacheDir(), "nix-linters", "bin", name);
  return existsSync(cached) ? cached : findProgram(name);
}
