// SuiteRun: runs a guest's test suite over SSH and brings the results home (nixlab:host:SuiteRun,
// see provider/host/suite-run.ts for the runner contract, the limits and what reruns it). Its
// outputs say how the run went against the baseline; the raw results and summary.json land in
// <archive>/<stack>/<guest>/<kernel release>/<run id>/.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type SuiteName, SuiteRun as SuiteRunResource } from "../provider/sdk/host";
import { loadBaseline } from "../suite-results/baseline";
import { type BaselineConfig, type SuiteRunConfig, suiteRunConfig } from "./suite-run-config";
import { validate } from "./validate";

/** Known failures as the resource takes them: test ids for every section and per section. */
export interface ResolvedBaseline {
  all: string[];
  sections: Record<string, string[]>;
  source: string;
}

/** Read a baseline from the stack's setting (files relative to `projectDir`); throws naming what is wrong. */
export function resolveBaseline(b: BaselineConfig | undefined, projectDir: string): ResolvedBaseline {
  if (!b) return { all: [], sections: {}, source: "none" };
  // The program reads the lists, so that an edited file changes the resource's inputs.
  const loaded = loadBaseline(b, projectDir);
  return {
    all: [...loaded.all.keys()],
    sections: Object.fromEntries([...loaded.sections].map(([s, known]) => [s, [...known.keys()]])),
    source: loaded.source,
  };
}

/**
 * The project's folder, which holds Pulumi.yaml: the engine runs the program in its main's folder
 * (e.g. dist/), so it is looked for upwards from there, unless the engine names it.
 */
export function projectDir(start = process.cwd()): string {
  const named = pulumi.runtime.getRootDirectory();
  if (named && path.isAbsolute(named)) return named;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml")) || existsSync(path.join(dir, "Pulumi.yml"))) return dir;
    if (dir === path.dirname(dir)) return start;
  }
}

export interface SuiteRunArgs {
  /** The guest's address; it is reached as root. */
  host: pulumi.Input<string>;
  /** Changes when the guest is a new machine (its domain UUID): its host key is pinned afresh. */
  guestId: pulumi.Input<string>;
  /** OpenSSH private key that root on the guest accepts (kept a secret). */
  privateKey: pulumi.Input<string>;
  /** The guest's system closure and kernel: a change runs the suite again. */
  closure: pulumi.Input<string>;
  kernel?: pulumi.Input<string>;
  suite: {
    name: SuiteName;
    section?: string | null | undefined;
    options?: Record<string, string | number | boolean> | undefined;
  };
  /** The guest's name in the archive. */
  guest: string;
  /** The stack's name in the archive (default: the current stack). */
  stack?: string;
  /** The stack's `suiteRun` settings (defaults when left out). */
  settings?: unknown;
  /** The baseline, already read (default: read from settings.baseline). */
  baseline?: ResolvedBaseline;
  /** Where relative archive and baseline paths start (default: the project's folder). */
  projectDir?: string;
}

export class SuiteRun extends pulumi.ComponentResource {
  readonly run: SuiteRunResource;
  readonly outcome: pulumi.Output<"completed" | "timedOut" | "failed">;
  readonly counts: pulumi.Output<Record<"pass" | "fail" | "skip" | "notrun" | "error", number>>;
  readonly regressions: pulumi.Output<string[]>;
  readonly fixes: pulumi.Output<string[]>;
  readonly resultsPath: pulumi.Output<string>;
  readonly kernelRelease: pulumi.Output<string>;
  readonly verdict: pulumi.Output<string>;

  constructor(name: string, args: SuiteRunArgs, opts?: pulumi.ComponentResourceOptions) {
    const settings: SuiteRunConfig = validate(suiteRunConfig, args.settings ?? {}, `${name}.settings`);
    const root = args.projectDir ?? projectDir();
    const baseline = args.baseline ?? resolveBaseline(settings.baseline, root);
    super("nixlab:components:SuiteRun", name, {}, opts);
    const { name: suite, section, options } = args.suite;
    this.run = new SuiteRunResource(
      name,
      {
        connection: { host: args.host, user: "root", privateKey: pulumi.secret(args.privateKey) },
        guestId: args.guestId,
        stack: args.stack ?? pulumi.getStack(),
        guest: args.guest,
        closure: args.closure,
        kernel: args.kernel ?? "",
        suite: { name: suite, ...(section ? { section } : {}), options: options ?? {} },
        runId: settings.runId,
        runTimeoutSeconds: settings.runTimeoutSeconds,
        testTimeoutSeconds: settings.testTimeoutSeconds,
        archiveRoot: path.resolve(root, settings.archive),
        baseline,
        policy: settings.policy,
      },
      { parent: this },
    );
    this.outcome = this.run.outcome;
    this.counts = this.run.counts;
    this.regressions = this.run.regressions;
    this.fixes = this.run.fixes;
    this.resultsPath = this.run.resultsPath;
    this.kernelRelease = this.run.kernelRelease;
    this.verdict = this.run.verdict;
    this.registerOutputs({
      outcome: this.outcome,
      counts: this.counts,
      regressions: this.regressions,
      fixes: this.fixes,
      resultsPath: this.resultsPath,
      kernelRelease: this.kernelRelease,
      verdict: this.verdict,
    });
  }
}
