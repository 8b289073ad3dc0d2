// Program-side classes for the host resources of the nixlab provider plugin.
import * as pulumi from "@pulumi/pulumi";

/** SSH settings without the destination (for store URIs that carry user and host). */
export interface SshSettingsArgs {
  port?: pulumi.Input<number>;
  /** OpenSSH private key; always stored as a secret. */
  privateKey?: pulumi.Input<string>;
  identityFile?: pulumi.Input<string>;
  /** known_hosts lines for the host. */
  knownHosts?: pulumi.Input<string>;
  hostKeyChecking?: pulumi.Input<"strict" | "accept-new" | "off">;
  connectTimeoutSeconds?: pulumi.Input<number>;
}

export interface SshConnectionArgs extends SshSettingsArgs {
  host: pulumi.Input<string>;
  user?: pulumi.Input<string>;
}

export interface ActivationArgs {
  connection: pulumi.Input<SshConnectionArgs>;
  closure: pulumi.Input<string>;
  action?: pulumi.Input<"switch" | "boot" | "test" | "dry-activate">;
  profile?: pulumi.Input<string>;
  rollback?: pulumi.Input<boolean>;
  confirmTimeoutSeconds?: pulumi.Input<number>;
  onDelete?: pulumi.Input<"keep" | "rollback">;
  sudo?: pulumi.Input<boolean>;
  remoteTmpDir?: pulumi.Input<string>;
}

/** Activates a closure on a host over SSH, rolling back when it fails or the host goes dark. */
export class Activation extends pulumi.CustomResource {
  declare readonly closure: pulumi.Output<string>;
  declare readonly action: pulumi.Output<string>;
  declare readonly previous: pulumi.Output<string>;

  constructor(name: string, args: ActivationArgs, opts?: pulumi.CustomResourceOptions) {
    super("nixlab:host:Activation", name, { ...args, previous: undefined }, opts);
  }
}

export type SuiteName = "fstests" | "blktests" | "selftests" | "ltp" | "nfstest" | "pynfs" | "mmtests";

export interface SuiteRunArgs {
  /** The guest, as root; put the private key in as a secret (it is stored as one either way). */
  connection: pulumi.Input<SshConnectionArgs>;
  /** Changes when the guest is a new machine (e.g. its libvirt domain UUID): its host key is pinned afresh. */
  guestId: pulumi.Input<string>;
  stack: pulumi.Input<string>;
  guest: pulumi.Input<string>;
  /** Triggers: a change runs the suite again. */
  closure: pulumi.Input<string>;
  kernel?: pulumi.Input<string>;
  suite: pulumi.Input<{
    name: pulumi.Input<SuiteName>;
    section?: pulumi.Input<string>;
    options?: pulumi.Input<Record<string, pulumi.Input<string | number | boolean | string[]>>>;
  }>;
  runId?: pulumi.Input<string>;
  runTimeoutSeconds?: pulumi.Input<number>;
  testTimeoutSeconds?: pulumi.Input<number>;
  readyTimeoutSeconds?: pulumi.Input<number>;
  collectTimeoutSeconds?: pulumi.Input<number>;
  stopGraceSeconds?: pulumi.Input<number>;
  /** Absolute; runs go to <archiveRoot>/<stack>/<guest>/<kernel release>/<run id>/. */
  archiveRoot: pulumi.Input<string>;
  /** Known failures: for every section, and per section. */
  baseline?: pulumi.Input<{
    all?: pulumi.Input<string[]>;
    sections?: pulumi.Input<Record<string, pulumi.Input<string[]>>>;
    source?: pulumi.Input<string>;
  }>;
  policy?: pulumi.Input<"report" | "fail">;
  remoteDir?: pulumi.Input<string>;
}

/** Runs a test suite on a guest over SSH and archives its results here (provider/host/suite-run.ts). */
export class SuiteRun extends pulumi.CustomResource {
  declare readonly hostKey: pulumi.Output<string>;
  declare readonly kernelRelease: pulumi.Output<string>;
  declare readonly archiveRunId: pulumi.Output<string>;
  declare readonly resultsPath: pulumi.Output<string>;
  declare readonly outcome: pulumi.Output<"completed" | "timedOut" | "failed">;
  declare readonly outcomeReason: pulumi.Output<string>;
  declare readonly startedAt: pulumi.Output<string>;
  declare readonly finishedAt: pulumi.Output<string>;
  declare readonly counts: pulumi.Output<Record<"pass" | "fail" | "skip" | "notrun" | "error", number>>;
  declare readonly regressions: pulumi.Output<string[]>;
  declare readonly fixes: pulumi.Output<string[]>;
  declare readonly knownFailures: pulumi.Output<string[]>;
  declare readonly verdict: pulumi.Output<string>;
  declare readonly timings: pulumi.Output<
    Record<"probe" | "suite" | "collect" | "summarise" | "total", number>
  >;

  constructor(name: string, args: SuiteRunArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:host:SuiteRun",
      name,
      {
        ...args,
        hostKey: undefined,
        kernelRelease: undefined,
        archiveRunId: undefined,
        resultsPath: undefined,
        outcome: undefined,
        outcomeReason: undefined,
        startedAt: undefined,
        finishedAt: undefined,
        counts: undefined,
        regressions: undefined,
        fixes: undefined,
        knownFailures: undefined,
        verdict: undefined,
        timings: undefined,
      },
      opts,
    );
  }
}
