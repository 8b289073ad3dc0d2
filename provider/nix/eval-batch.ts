// One evaluator for a lab's closures. Evaluating a NixOS system starts cold in every `nix eval`
// (flake locking, parsing nixpkgs, the module system), so diffs and creates of many Builds of one
// flake that arrive together (creates run side by side; diffs do with PULUMI_PARALLEL_DIFF) are
// gathered for a moment and evaluated in one `nix eval` (commands.ts, evalDrvPathsArgs). A batch
// of diffs that fails is evaluated again one closure at a time, so that each error names its own
// closure; creates then build their installables as before.
// NIXLAB_EVAL_BATCH caps how many closures share one evaluator (memory grows with each system);
// 1 evaluates every closure on its own, as before.
import type { Runner } from "../exec";
import { stable } from "../resource";
import {
  type BuildTarget,
  currentSystemArgs,
  evalDrvPathArgs,
  evalDrvPathsArgs,
  type FlakeTarget,
  parseBuildTargets,
  parseDrvPaths,
} from "./commands";

type Target = Omit<FlakeTarget, "outputs">;

/** drv: the derivation path (diffs); build: also the outputs nix builds by default (creates). */
type Kind = "drv" | "build";
type Answer<K extends Kind> = K extends "drv" ? string : BuildTarget;

interface Waiting {
  attribute: string;
  resolve: (answer: string | BuildTarget) => void;
  reject: (err: unknown) => void;
}

interface Pending {
  kind: Kind;
  target: Omit<Target, "attribute">;
  waiting: Waiting[];
  timer?: NodeJS.Timeout;
  firstAt: number;
}

export interface BatchOptions {
  /** Wait this long after the latest request for more to join (default 40 ms). */
  quietMs?: number;
  /** …but never longer than this after the first (default 400 ms). */
  maxWaitMs?: number;
  /** Closures per evaluator (default: NIXLAB_EVAL_BATCH, else 32). */
  maxBatch?: number;
  /** Evaluations at a time when a failed batch is redone one by one (default 2). */
  fallbackConcurrency?: number;
}

/** The default number of closures per evaluator, from NIXLAB_EVAL_BATCH (a positive integer). */
export function batchLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.NIXLAB_EVAL_BATCH;
  if (raw === undefined || raw === "") return 32;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`NIXLAB_EVAL_BATCH must be a positive integer (closures per nix evaluator), not ${raw}`);
  return n;
}

/**
 * Attribute paths whose meaning on nix's command line is plain: characters a flake reference's
 * fragment takes as they are (no %-escapes, no ^ outputs). Others are evaluated alone, exactly as
 * nix reads them.
 */
export const batchable = (attribute: string): boolean =>
  /^[A-Za-z0-9_'"\-.~!$&()*+,;=:@/? ]*$/.test(attribute);

const tail = (stderr: string): string => stderr.trim().split("\n").slice(-15).join("\n");

export class DrvPathBatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly systems = new Map<string, Promise<string>>();

  constructor(
    private readonly run: Runner,
    private readonly opts: BatchOptions = {},
  ) {}

  /** The derivation path of `t` (evaluated with others of the same flake and options when they come together). */
  drvPath(t: Target): Promise<string> {
    return this.request("drv", t);
  }

  /**
   * The derivation of `t` and the outputs `nix build FLAKE#ATTR` would build, evaluated with
   * others that come together. Rejects when the evaluation fails: the caller then builds the
   * installable itself, which reports the error as nix does.
   */
  buildTarget(t: Target): Promise<BuildTarget> {
    return this.request("build", t);
  }

  private request<K extends Kind>(kind: K, t: Target): Promise<Answer<K>> {
    const max = this.opts.maxBatch ?? batchLimit();
    if (kind === "drv" && (max <= 1 || !batchable(t.attribute))) return this.evalOne(t) as Promise<Answer<K>>;
    if (kind === "build" && !batchable(t.attribute))
      return Promise.reject(new Error(`${t.attribute}: not evaluated in a batch`));
    const { attribute, ...common } = t;
    const key = stable([kind, common]);
    return new Promise<Answer<K>>((resolve, reject) => {
      let p = this.pending.get(key);
      if (!p) {
        p = { kind, target: common, waiting: [], firstAt: Date.now() };
        this.pending.set(key, p);
      }
      p.waiting.push({ attribute, resolve: resolve as (a: string | BuildTarget) => void, reject });
      if (p.timer) clearTimeout(p.timer);
      if (p.waiting.length >= max) {
        this.flush(key);
        return;
      }
      const quiet = this.opts.quietMs ?? 40;
      const left = (this.opts.maxWaitMs ?? 400) - (Date.now() - p.firstAt);
      p.timer = setTimeout(() => this.flush(key), Math.max(0, Math.min(quiet, left)));
    });
  }

  /** One evaluator for one closure: `nix eval --raw FLAKE#ATTR.drvPath`. */
  async evalOne(t: Target): Promise<string> {
    const r = await this.run("nix", evalDrvPathArgs(t));
    if (r.exitCode !== 0) throw new Error(`evaluating ${t.flake}#${t.attribute} failed:\n${tail(r.stderr)}`);
    return r.stdout.trim();
  }

  private flush(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (p.timer) clearTimeout(p.timer);
    void this.evaluate(p);
  }

  private async evaluate(p: Pending): Promise<void> {
    const one = p.waiting.length === 1 ? p.waiting[0] : undefined;
    if (one && p.kind === "drv") {
      await this.evalOne({ ...p.target, attribute: one.attribute }).then(one.resolve, one.reject);
      return;
    }
    // A create on its own: `nix build FLAKE#ATTR` is one evaluator already.
    if (one) {
      one.reject(new Error("alone: build the installable"));
      return;
    }
    // The same attribute asked twice is evaluated once.
    const attributes = [...new Set(p.waiting.map((w) => w.attribute))];
    let failure: unknown;
    try {
      const system = await this.system(p.target);
      const args = evalDrvPathsArgs(p.target, attributes, system, { outputs: p.kind === "build" });
      const r = await this.run("nix", args);
      if (r.exitCode === 0) {
        const answers: (string | BuildTarget)[] =
          p.kind === "build"
            ? parseBuildTargets(r.stdout, attributes.length)
            : parseDrvPaths(r.stdout, attributes.length);
        const byAttribute = new Map(attributes.map((a, i) => [a, answers[i] as string | BuildTarget]));
        for (const w of p.waiting) w.resolve(byAttribute.get(w.attribute) as string | BuildTarget);
        return;
      }
      failure = new Error(`the batched nix eval failed:\n${tail(r.stderr)}`);
    } catch (err) {
      failure = err;
    }
    // Builds report their own errors (the caller builds the installable); derivation paths are
    // evaluated again one at a time, which says what went wrong per closure.
    if (p.kind === "build") for (const w of p.waiting) w.reject(failure);
    else await this.oneByOne(p);
  }

  private async oneByOne(p: Pending): Promise<void> {
    const queue = [...p.waiting];
    const worker = async () => {
      for (let w = queue.shift(); w; w = queue.shift()) {
        const waiting = w;
        await this.evalOne({ ...p.target, attribute: waiting.attribute }).then(
          waiting.resolve,
          waiting.reject,
        );
      }
    };
    await Promise.all(Array.from({ length: this.opts.fallbackConcurrency ?? 2 }, worker));
  }

  /** nix's `system` for these options (asked once per provider process and options). */
  private system(t: Pick<Target, "system" | "extraArgs">): Promise<string> {
    const args = currentSystemArgs(t);
    const key = JSON.stringify(args);
    let s = this.systems.get(key);
    if (!s) {
      s = this.run("nix", args).then((r) => {
        if (r.exitCode !== 0 || !r.stdout.trim())
          throw new Error(`nix ${args.join(" ")} failed:\n${tail(r.stderr)}`);
        return r.stdout.trim();
      });
      s.catch(() => this.systems.delete(key));
      this.systems.set(key, s);
    }
    return s;
  }
}

const batchers = new WeakMap<Runner, DrvPathBatcher>();

/** The batcher of one runner (one per provider process; tests' recording runners get their own). */
export function batcherFor(run: Runner): DrvPathBatcher {
  let b = batchers.get(run);
  if (!b) {
    b = new DrvPathBatcher(run);
    batchers.set(run, b);
  }
  return b;
}
