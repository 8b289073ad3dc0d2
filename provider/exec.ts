// Running external tools (nix, ssh, virsh, qemu-img): always an argument array, never a shell.
// Behind an interface so that pure logic can be unit-tested with a recording fake.
// execa is an ES module: loading it costs ~90 ms, paid by every program and provider start that
// runs no command at all (a no-op up's program), so it is loaded on the first command.
// (require, not import(): jest's CommonJS loader runs the compiled sources without ES modules.)
let execaModule: typeof import("execa") | undefined;
const loadExeca = (): typeof import("execa") => {
  execaModule ??= require("execa") as typeof import("execa");
  return execaModule;
};

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Called for each stderr line as it arrives (progress streaming). */
  onStderrLine?: (line: string) => void;
  /** Called for each stdout line as it arrives (progress streaming). */
  onStdoutLine?: (line: string) => void;
  /** Write stdout to this file instead of returning it (binary data such as a tar stream). */
  stdoutFile?: string;
  /** Stop the command (SIGTERM) when this signal aborts; the call then throws. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** A tool exited non-zero. The message carries the command line and the end of its stderr. */
export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    const tail = result.stderr.trim().split("\n").slice(-20).join("\n");
    super(`${cmd} ${args.join(" ")} failed with exit code ${result.exitCode}${tail ? `:\n${tail}` : ""}`);
    this.name = "CommandError";
  }
}

/** Lines of a streamed stderr kept for the result (and so for error messages). */
export const streamedStderrLines = 400;

function byLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = "";
  stream.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => partial && onLine(partial));
}

export const execaRunner: Runner = async (cmd, args, opts = {}) => {
  const streamed = opts.onStderrLine !== undefined;
  const { execa } = loadExeca();
  const child = execa(cmd, args, {
    reject: false,
    env: opts.env ?? {},
    extendEnv: true,
    cwd: opts.cwd,
    input: opts.input ?? "",
    timeout: opts.timeoutMs,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(opts.stdoutFile ? { stdout: { file: opts.stdoutFile } } : {}),
    stripFinalNewline: false,
    // A streamed stderr (a long build's log) is not held in memory: only its tail is kept.
    buffer: { stdout: true, stderr: !streamed },
    maxBuffer: 256 * 1024 * 1024,
  });
  const tail: string[] = [];
  if (opts.onStderrLine && child.stderr) {
    const onLine = opts.onStderrLine;
    byLine(child.stderr, (line) => {
      tail.push(line);
      if (tail.length > streamedStderrLines) tail.shift();
      onLine(line);
    });
  }
  if (opts.onStdoutLine && child.stdout) byLine(child.stdout, opts.onStdoutLine);
  const r = await child;
  // Killed by the timeout: whatever it exited with (ssh turns SIGTERM into 255) is not its answer.
  if (r.timedOut) throw new Error(`${cmd}: timed out after ${opts.timeoutMs} ms`);
  if (r.failed && r.exitCode === undefined) {
    // Could not start at all (ENOENT) or killed by the timeout.
    throw new Error(`${cmd}: ${r.shortMessage}`);
  }
  return {
    exitCode: r.exitCode ?? -1,
    stdout: opts.stdoutFile ? "" : String(r.stdout),
    stderr: streamed
      ? tail
          .map(
            (l) => `${l}
`,
          )
          .join("")
      : String(r.stderr),
  };
};

/** Run and throw a CommandError unless the exit code is 0. */
export async function runChecked(
  run: Runner,
  cmd: string,
  args: readonly string[],
  opts?: RunOptions,
): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.exitCode !== 0) throw new CommandError(cmd, args, r);
  return r;
}
