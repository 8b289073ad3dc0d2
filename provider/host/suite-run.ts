// nixlab:host:SuiteRun — runs a test suite on a guest over SSH and brings its results home:
// streams the runner's output to the engine line by line, stops it at its time limits, copies
// the raw results into the archive on this machine and summarises them against a baseline.
//
// The runner contract (what a guest system provides):
//   `nixlab-run-suite` on root's PATH, run as root over SSH with this environment:
//     NIXLAB_SUITE                  fstests | blktests | selftests | ltp | nfstest | pynfs | mmtests
//     NIXLAB_SUITE_SECTION          the section (fstests) or "" when none was given
//     NIXLAB_SUITE_OPTIONS          the suite's options as one JSON object
//     NIXLAB_SUITE_OPT_<NAME>       each option on its own (hangAt → NIXLAB_SUITE_OPT_HANG_AT;
//                                   lists space-separated, booleans 1/0)
//     NIXLAB_TEST_TIMEOUT_SECONDS   the per-test limit, for runners that can enforce it themselves
//     NIXLAB_RUN_ID                 the archive's run id
//     NIXLAB_RESULTS_DIR            an empty folder: write the suite's raw results there, in the
//                                   suite's own layout (fstests: what `check` writes under
//                                   RESULT_BASE — <section>/check.log, result.xml, <test>.out.bad…)
//   It prints the suite's console output (a line per finished test) and exits with the suite's
//   status: a non-zero exit counts as the suite's verdict when the results hold failing tests
//   (fstests' check exits 1 then), and as the runner failing when they do not. SIGTERM to its
//   process group asks it to wrap up (fstests' check writes its report on it); SIGKILL follows.
//
// Time limits: the run stops when it has taken runTimeoutSeconds, or when the runner printed
// nothing for testTimeoutSeconds (a test that hangs). What exists is then collected and the run is
// recorded as timed out. A guest that stops answering ends the session through SSH keepalives.
//
// It runs again only when a trigger changes: the closure, the kernel, the suite (name, section,
// options) or runId. Other changes (baseline, policy, limits, the guest's address) update the state
// without a run; a new baseline is compared against the archived summary. Read never runs
// anything. Delete removes nothing: the archive belongs to the user.
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as z from "zod";
import { loadRun } from "../../suite-results/archive";
import { applyPolicy, type Baseline, compareWithBaseline, loadBaseline } from "../../suite-results/baseline";
import { summarise, summariseRunDir, testStatuses, writeSummary } from "../../suite-results/summary";
import type { BaselineComparison, RunSummary, SuiteName, TestStatus } from "../../suite-results/types";
import type { RunOptions, RunResult } from "../exec";
import { type Context, FailedWithState, type ResourceDefinition, same } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import {
  destination,
  type PinnedSession,
  remoteCommand,
  type SshConnection,
  sshConnection,
  withPinnedHost,
} from "./ssh";
import {
  cleanupScript,
  collectScript,
  type OptionValue,
  probeScript,
  runnerEnv,
  runScript,
  stopScript,
} from "./suite-run-script";

export const suiteNames = [
  "fstests",
  "blktests",
  "selftests",
  "ltp",
  "nfstest",
  "pynfs",
  "mmtests",
] as const satisfies readonly SuiteName[];

const absolute = z.string().refine((p) => path.isAbsolute(p), "must be an absolute path");
/** One archive folder name. */
const segment = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._+-]*$/, "must be letters, digits, . _ + -");
const seconds = (max: number) => z.number().int().min(1).max(max);
const week = 7 * 24 * 3600;
const testId = z.string().regex(/^[\w.+:/-]+$/, "must be a test id such as generic/001");

export const suiteSpec = z
  .object({
    name: z.enum(suiteNames).meta({ description: "The suite.", typeName: "SuiteName" }),
    section: segment.optional().meta({ description: "The section to run (fstests), as the runner gets it." }),
    options: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "option names are letters, digits, _ and -"),
        z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]),
      )
      .default({})
      .meta({ description: "The suite's options, passed to the runner (NIXLAB_SUITE_OPTIONS)." }),
  })
  .strict()
  .meta({ typeName: "SuiteRunSuite" });

/** A change of one of these runs the suite again (update). */
const rerun = "update: runs the suite again";

export const suiteRunInputs = z
  .object({
    connection: sshConnection.meta({
      description: "The guest, as root over SSH.",
      typeName: "SuiteRunConnection",
      secret: true,
    }),
    guestId: z.string().min(1).meta({
      description:
        "Changes when the guest is a new machine (its libvirt domain UUID): its host key is pinned afresh.",
    }),
    stack: segment.meta({ description: "The stack's name in the archive." }),
    guest: segment.meta({ description: "The guest's name in the archive." }),
    closure: z.string().min(1).meta({ description: "The guest's system closure.", change: rerun }),
    kernel: z.string().default("").meta({ description: "The guest's kernel.", change: rerun }),
    suite: suiteSpec.meta({ description: "What to run.", change: rerun }),
    runId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, "must be 1-40 letters, digits, . _ -")
      .default("1")
      .meta({ description: "Change it to run the suite again with nothing else changed.", change: rerun }),
    runTimeoutSeconds: seconds(week)
      .default(6 * 3600)
      .meta({ description: "The run stops when it has taken this long (recorded as timed out)." }),
    testTimeoutSeconds: seconds(week).default(3600).meta({
      description: "The run stops when the runner printed nothing for this long (a test that hangs).",
    }),
    readyTimeoutSeconds: seconds(3600).default(300).meta({
      description: "How long the guest may take to answer SSH at the start (it may still be booting).",
    }),
    collectTimeoutSeconds: seconds(24 * 3600)
      .default(600)
      .meta({ description: "How long bringing the results home may take." }),
    stopGraceSeconds: seconds(600)
      .default(10)
      .meta({ description: "Between SIGTERM and SIGKILL when a run is stopped." }),
    archiveRoot: absolute.meta({
      description: "Runs go to `<archiveRoot>/<stack>/<guest>/<kernel release>/<run id>/`.",
    }),
    baseline: z
      .object({
        all: z.array(testId).default([]).meta({ description: "Known failures in every section." }),
        sections: z
          .record(segment, z.array(testId))
          .default({})
          .meta({ description: "Known failures by section." }),
        source: z.string().default("none").meta({ description: "Where the lists came from, for messages." }),
      })
      .strict()
      .default({ all: [], sections: {}, source: "none" })
      .meta({
        description: "Known failures: a new one is a regression. A new baseline re-judges the archived run.",
        typeName: "SuiteRunBaseline",
      }),
    policy: z.enum(["report", "fail"]).default("report").meta({
      description: "fail: a regression fails the deployment (the run is kept); report: it is only reported.",
      typeName: "SuiteRunPolicy",
    }),
    remoteDir: absolute
      .default("/var/tmp/nixlab-suite")
      .meta({ description: "Where run folders live on the guest (removed once their results are home)." }),
  })
  .strict();
export type SuiteRunInputs = z.infer<typeof suiteRunInputs>;

const outcomes = ["completed", "timedOut", "failed"] as const satisfies readonly RunSummary["outcome"][];
const seconds0 = z.number();

export const suiteRunDeclaration = declareResource({
  token: "nixlab:host:SuiteRun",
  description:
    "Runs a test suite on a guest over SSH and brings its results home: archived, summarised and judged against a baseline.",
  inputs: suiteRunInputs,
  outputs: z.object({
    hostKey: z
      .string()
      .meta({ description: 'The guest\'s SSH host key ("type base64"), pinned on first contact.' }),
    hostKeyGuestId: z.string().meta({ description: "The guestId the host key was pinned for." }),
    kernelRelease: z.string().meta({ description: "The kernel release the guest ran." }),
    archiveRunId: z
      .string()
      .meta({ description: "The run's folder name in the archive: `<UTC time>-<runId>`." }),
    resultsPath: z.string().meta({
      description: "The run's folder: `<archiveRoot>/<stack>/<guest>/<kernel release>/<archiveRunId>`.",
    }),
    outcome: z.enum(outcomes).meta({ description: "How the run ended.", typeName: "SuiteRunOutcome" }),
    outcomeReason: z.string().meta({ description: 'Why the run did not complete ("" when it did).' }),
    startedAt: z.string().meta({ description: "When the run started (ISO 8601)." }),
    finishedAt: z.string().meta({ description: "When it ended (ISO 8601)." }),
    counts: z
      .record(z.enum(testStatuses as readonly TestStatus[] as [TestStatus, ...TestStatus[]]), z.number())
      .meta({ description: "Tests by status." }),
    regressions: z.array(z.string()).meta({ description: "Failing tests the baseline does not know." }),
    fixes: z.array(z.string()).meta({ description: "Tests the baseline knows as failing that passed." }),
    knownFailures: z.array(z.string()).meta({ description: "Failing tests the baseline knows." }),
    verdict: z.string().meta({ description: "The baseline verdict in one line." }),
    timings: z
      .object({
        probe: seconds0.meta({ description: "Reaching the guest and preparing the run folder." }),
        suite: seconds0.meta({
          description: "The runner, from start to exit (with the stop, when there was one).",
        }),
        collect: seconds0.meta({ description: "Bringing the results home." }),
        summarise: seconds0.meta({ description: "Parsing and judging them." }),
        total: seconds0.meta({ description: "All of it." }),
      })
      .meta({ description: "Seconds per phase.", typeName: "SuiteRunTimings" }),
  }),
});

export type Outcome = RunSummary["outcome"];
export type SuiteRunState = StateOf<typeof suiteRunDeclaration>;
export type Timings = SuiteRunState["timings"];

const triggerKeys = ["closure", "kernel", "suite", "runId"] as const;
/** SSH keepalive interval: a guest that stops answering ends the session after three of them. */
const keepAliveSeconds = 5;
const secondsSince = (t: number): number => Math.round((Date.now() - t) / 100) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (s: string, n = 10): string => s.trim().split("\n").slice(-n).join("\n");

/** 2026-11-22T00:15:03.123Z → 20261122T001503Z */
export const runStamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

/** A kernel release as one archive folder name. */
export const releaseSegment = (r: string): string => r.trim().replace(/[^A-Za-z0-9._+-]/g, "_") || "unknown";

const connectionTrouble =
  /Connection refused|Connection timed out|timed out|No route to host|Connection reset|Connection closed|closed by remote host|Network is unreachable/i;

/** The SSH side of one run: every connection shares the pinned host key and the key file. */
class GuestSession {
  constructor(
    private readonly ctx: Context,
    private readonly conn: SshConnection,
    private readonly ssh: PinnedSession,
  ) {}

  exec(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = ["sh", "-c", script, "sh", ...args];
    return this.ctx.run(
      "ssh",
      [...this.ssh.options, destination(this.conn), "--", remoteCommand(argv)],
      opts,
    );
  }

  get where(): string {
    return `${destination(this.conn)}:${this.conn.port}`;
  }

  /** Wait for the guest to answer and prepare the run folder; returns its kernel release. */
  async probe(runDir: string, readyTimeoutSeconds: number, pinned: string | undefined): Promise<string> {
    const deadline = Date.now() + readyTimeoutSeconds * 1000;
    for (;;) {
      const r = await this.exec(probeScript, [runDir], {
        timeoutMs: (this.conn.connectTimeoutSeconds + 30) * 1000,
      });
      if (r.exitCode === 0) return r.stdout.trim();
      const err = r.stderr.trim();
      if (r.exitCode === 127)
        throw new Error(
          `${this.where} cannot run suites: ${err || "no nixlab-run-suite"} (its system carries no suite runner)`,
        );
      if (/Host key verification failed|HOST IDENTIFICATION HAS CHANGED|host key .* has changed/i.test(err))
        throw new Error(
          `the SSH host key of ${this.where} is not the one pinned on first contact (${pinned ?? "none"}); ` +
            "if this guest was rebooted with new host keys, replace this SuiteRun (pulumi up --replace <its URN>)",
        );
      if (/Permission denied/i.test(err))
        throw new Error(
          `${this.where} refused the key (is the public half of nixlab:sshPrivateKey in nixlab:lab.sshKeys?): ${tail(err, 2)}`,
        );
      if (r.exitCode !== 255 || !connectionTrouble.test(err) || Date.now() > deadline)
        throw new Error(`cannot start the suite on ${this.where} (exit ${r.exitCode}): ${tail(err)}`);
      this.ctx.log.status(`waiting for SSH on ${this.where}: ${tail(err, 1)}`);
      await sleep(2000);
    }
  }

  async stop(runDir: string, graceSeconds: number): Promise<string> {
    const r = await this.exec(stopScript, [runDir, String(graceSeconds)], {
      timeoutMs: (this.conn.connectTimeoutSeconds + graceSeconds + 30) * 1000,
    }).catch((e: unknown) => ({ exitCode: -1, stdout: "", stderr: String(e) }));
    return r.exitCode === 0 ? r.stdout.trim() || "not running" : `could not stop it: ${tail(r.stderr, 2)}`;
  }
}

interface Ran {
  outcome: Outcome;
  reason: string;
  /** The runner's exit status, when it exited by itself. */
  exitCode?: number;
}

/** Run the suite with its watchdogs; stream every line to the engine and to runner.log. */
async function runWithLimits(
  ctx: Context,
  g: GuestSession,
  i: SuiteRunInputs,
  remoteRun: string,
  archiveRunId: string,
  logFile: string,
): Promise<Ran> {
  const log = createWriteStream(logFile);
  const abort = new AbortController();
  let lastLine = Date.now();
  let stopped: { reason: string } | undefined;
  let stopping: Promise<void> | undefined;
  const env = runnerEnv({
    suite: i.suite.name,
    section: i.suite.section,
    options: i.suite.options as Record<string, OptionValue>,
    testTimeoutSeconds: i.testTimeoutSeconds,
    runId: archiveRunId,
  });
  // Lines go to the engine as they come; those that come together go as one message, since
  // separate messages sent at once may reach the engine out of order.
  let pending: string[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    const text = pending.join("\n").replace(/^\n+|\n+$/g, "");
    pending = [];
    if (text) ctx.log.info(text);
  };
  const run = g.exec(runScript, [remoteRun, ...env], {
    signal: abort.signal,
    onStdoutLine: (line) => {
      lastLine = Date.now();
      log.write(`${line}\n`);
      pending.push(line);
      flushTimer ??= setTimeout(flush, 200);
    },
  });
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  // Ask the runner to wrap up while the session is still open (it prints its report), then end
  // the session if it has not ended by itself.
  const stop = (reason: string) => {
    if (stopping) return;
    stopped = { reason };
    ctx.log.warn(`${reason}: stopping the run and collecting what exists`);
    stopping = (async () => {
      const how = await g.stop(remoteRun, i.stopGraceSeconds);
      ctx.log.info(`runner ${how}`);
      await Promise.race([settled, sleep(15_000)]);
      abort.abort();
    })();
  };
  const runTimer = setTimeout(
    () => stop(`the run exceeded its limit of ${i.runTimeoutSeconds} s`),
    i.runTimeoutSeconds * 1000,
  );
  const testTimer = setInterval(() => {
    if (Date.now() - lastLine > i.testTimeoutSeconds * 1000)
      stop(`no test finished for ${i.testTimeoutSeconds} s (the per-test limit)`);
  }, 1000);
  let result: RunResult | undefined;
  let failure = "";
  try {
    result = await run;
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(runTimer);
    clearInterval(testTimer);
  }
  if (!stopped && result?.exitCode === 255) {
    // The connection was lost (keepalives): the runner may still be going; stop it if we can.
    const reason = `the SSH session to ${g.where} ended: ${tail(result.stderr, 2)}`;
    stop(reason);
    return finish({ outcome: "failed", reason });
  }
  if (stopping) await stopping;
  if (stopped) return finish({ outcome: "timedOut", reason: stopped.reason });
  if (!result) return finish({ outcome: "failed", reason: `the SSH session failed: ${failure}` });
  if (result.exitCode !== 0)
    return finish({
      outcome: "failed",
      reason: `nixlab-run-suite exited with ${result.exitCode}${result.stderr.trim() ? `: ${tail(result.stderr, 3)}` : ""}`,
      exitCode: result.exitCode,
    });
  return finish({ outcome: "completed", reason: "", exitCode: 0 });

  async function finish(r: Ran) {
    if (stopping) await stopping;
    flush();
    await new Promise<void>((res) => log.end(res));
    return r;
  }
}

/** Copy the guest's results folder into raw/ (tar over SSH, then unpacked here). */
async function collect(
  ctx: Context,
  g: GuestSession,
  i: SuiteRunInputs,
  remoteRun: string,
  rawDir: string,
): Promise<string> {
  const tmp = mkdtempSync(path.join(tmpdir(), "nixlab-suite-"));
  try {
    const tarFile = path.join(tmp, "results.tar");
    const r = await g
      .exec(collectScript, [remoteRun], { stdoutFile: tarFile, timeoutMs: i.collectTimeoutSeconds * 1000 })
      .catch((e: unknown) => ({ exitCode: -1, stdout: "", stderr: String(e) }));
    if (r.exitCode !== 0) return `collecting the results failed (exit ${r.exitCode}): ${tail(r.stderr, 3)}`;
    const x = await ctx.run("tar", ["-x", "-f", tarFile, "-C", rawDir, "--no-same-owner"]);
    if (x.exitCode !== 0) return `unpacking the results failed: ${tail(x.stderr, 3)}`;
    return "";
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function baselineOf(i: SuiteRunInputs): Baseline {
  const b = loadBaseline({ all: i.baseline.all, sections: i.baseline.sections });
  return { ...b, source: i.baseline.source };
}

function judge(
  i: SuiteRunInputs,
  summary: Pick<RunSummary, "tests" | "outcome">,
): { comparison: BaselineComparison; verdict: string } {
  const comparison = compareWithBaseline(summary as RunSummary, baselineOf(i));
  const where = `${i.guest} (${i.suite.name}${i.suite.section ? ` ${i.suite.section}` : ""})`;
  return { comparison, verdict: applyPolicy(comparison, i.policy, where).message };
}

/** The policy's verdict on a state: the message to fail the update with, or undefined. */
export function policyFailure(s: SuiteRunState): string | undefined {
  if (s.policy !== "fail") return undefined;
  if (s.regressions.length > 0) return `${s.verdict} (policy fail; results in ${s.resultsPath})`;
  if (s.outcome !== "completed")
    return `${s.guest}: the run ${s.outcome === "timedOut" ? "timed out" : "failed"}: ${s.outcomeReason} (policy fail; results in ${s.resultsPath})`;
  return undefined;
}

/** One run: probe, run, collect, summarise, compare. Throws only when the run could not start. */
async function runSuite(ctx: Context, i: SuiteRunInputs, previous?: SuiteRunState): Promise<SuiteRunState> {
  const t0 = Date.now();
  const started = new Date();
  const archiveRunId = `${runStamp(started)}-${i.runId}`;
  const remoteRun = path.posix.join(i.remoteDir, archiveRunId);
  const pinned = previous && previous.hostKeyGuestId === i.guestId ? previous.hostKey : undefined;
  if (previous && !pinned)
    ctx.log.info(`${i.guest} is a new machine (${i.guestId}): pinning its host key afresh`);
  const conn = { ...i.connection, keepAliveSeconds };

  return withPinnedHost(conn, pinned, async (ssh) => {
    const g = new GuestSession(ctx, conn, ssh);
    ctx.log.status(`connecting to ${g.where}`);
    const kernelRelease = await g.probe(remoteRun, i.readyTimeoutSeconds, pinned);
    const hostKey = ssh.hostKey() ?? "";
    const probeSeconds = secondsSince(t0);
    const resultsPath = path.join(
      i.archiveRoot,
      i.stack,
      i.guest,
      releaseSegment(kernelRelease),
      archiveRunId,
    );
    const rawDir = path.join(resultsPath, "raw");
    mkdirSync(rawDir, { recursive: true });
    ctx.log.info(
      `running ${i.suite.name}${i.suite.section ? ` section ${i.suite.section}` : ""} on ${g.where} (kernel ${kernelRelease}); results go to ${resultsPath}`,
    );

    const t1 = Date.now();
    const ran = await runWithLimits(ctx, g, i, remoteRun, archiveRunId, path.join(resultsPath, "runner.log"));
    const suiteSeconds = secondsSince(t1);
    const finishedAt = new Date().toISOString();

    const t2 = Date.now();
    ctx.log.status(`copying the results from ${g.where}`);
    const collectProblem = await collect(ctx, g, i, remoteRun, rawDir);
    if (collectProblem) ctx.log.warn(collectProblem);
    else await g.exec(cleanupScript, [remoteRun], { timeoutMs: 60_000 }).catch(() => undefined);
    const collectSeconds = secondsSince(t2);

    const t3 = Date.now();
    const meta = {
      suite: i.suite.name,
      ...(i.suite.section ? { section: i.suite.section } : {}),
      stack: i.stack,
      guest: i.guest,
      kernelRelease,
      runId: archiveRunId,
      startedAt: started.toISOString(),
      finishedAt,
      outcome: ran.outcome,
    };
    const problems = [ran.reason, collectProblem];
    let summary: RunSummary;
    try {
      summary = summariseRunDir(resultsPath, meta);
    } catch (e) {
      problems.push(`the results could not be read: ${e instanceof Error ? e.message : String(e)}`);
      summary = summarise({ ...meta, outcome: "failed" }, []);
    }
    // A suite exits non-zero when tests failed: that is its verdict, not the runner failing.
    if (ran.outcome === "failed" && ran.exitCode !== undefined && !collectProblem) {
      const failing = summary.counts.fail + summary.counts.error;
      if (failing > 0) {
        summary = { ...summary, outcome: "completed" };
        problems[0] = "";
      }
    }
    if (collectProblem && summary.outcome === "completed") summary = { ...summary, outcome: "failed" };
    writeSummary(resultsPath, summary);
    const reason = problems.filter(Boolean).join("; ");
    const { comparison, verdict } = judge(i, summary);
    const summariseSeconds = secondsSince(t3);
    const c = summary.counts;
    ctx.log.info(
      `${summary.outcome}: ${c.pass} passed, ${c.fail} failed, ${c.error} errors, ${c.skip + c.notrun} not run — ${verdict}`,
    );
    return {
      ...i,
      hostKey,
      hostKeyGuestId: i.guestId,
      kernelRelease,
      archiveRunId,
      resultsPath,
      outcome: summary.outcome,
      outcomeReason: reason,
      startedAt: meta.startedAt,
      finishedAt,
      counts: summary.counts,
      regressions: comparison.regressions,
      fixes: comparison.fixes,
      knownFailures: comparison.knownFailures,
      verdict,
      timings: {
        probe: probeSeconds,
        suite: suiteSeconds,
        collect: collectSeconds,
        summarise: summariseSeconds,
        total: secondsSince(t0),
      },
    };
  });
}

/** No run: new settings over the last run; a new baseline is compared with its archived summary. */
function reconsider(ctx: Context, olds: SuiteRunState, news: SuiteRunInputs): SuiteRunState {
  const state: SuiteRunState = { ...olds, ...news };
  if (same(olds.baseline, news.baseline) && olds.policy === news.policy) return state;
  try {
    const { summary } = loadRun(olds.resultsPath);
    const { comparison, verdict } = judge(news, summary);
    ctx.log.info(`the last run (${olds.resultsPath}) against the baseline: ${verdict}`);
    return { ...state, ...comparison, verdict };
  } catch (e) {
    ctx.log.warn(
      `kept the last comparison: the last run's summary cannot be read (${e instanceof Error ? e.message : String(e)})`,
    );
    return state;
  }
}

function checked(id: string, s: SuiteRunState): SuiteRunState {
  const failure = policyFailure(s);
  if (failure) throw new FailedWithState(failure, id, s);
  return s;
}

const idOf = (i: SuiteRunInputs): string => `${i.stack}/${i.guest}`;

export const suiteRunResource: ResourceDefinition<SuiteRunInputs, SuiteRunState> = {
  declaration: suiteRunDeclaration,

  async diff(_ctx, _id, olds, news) {
    return declaredDiff(suiteRunDeclaration, olds, news);
  },

  async create(ctx, news) {
    const id = idOf(news);
    return { id, state: checked(id, await runSuite(ctx, news)) };
  },

  async read(_ctx, id, state) {
    // A run is history: reading it touches neither the guest nor the archive.
    return { id, state };
  },

  async update(ctx, id, olds, news) {
    const rerun = triggerKeys.filter((k) => !same(olds[k], news[k]));
    if (rerun.length > 0) {
      ctx.log.info(`${rerun.join(", ")} changed: running the suite again`);
      return checked(id, await runSuite(ctx, news, olds));
    }
    return checked(id, reconsider(ctx, olds, news));
  },

  async delete(ctx, _id, state) {
    ctx.log.info(`the results stay in ${state.resultsPath} (delete removes nothing from the archive)`);
  },
};
