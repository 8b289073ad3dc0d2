// Lab: the whole test bed from one config object — a network, a pool, and one guest per test
// section (imageless or libvirt), each built from its closure; and, unless the stack opts out
// (suiteRun.enabled: false), a SuiteRun for every guest with a `suite`.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Network, Pool } from "../provider/sdk/libvirt";
import { checkHost } from "./host-checks";
import { ImagelessGuest } from "./imageless-guest";
import { type GuestConfig, type LabConfig, labConfig } from "./lab-config";
import { LibvirtGuest } from "./libvirt-guest";
import { readRecordedObjects } from "./libvirt-ownership";
import { cacheDir, hostCachedKernel, repositoryRoot } from "./locations";
import { type FlakeSource, NixosClosure, type SpecSource } from "./nixos-closure";
import { Qcow2Image } from "./qcow2-image";
import type { NixlabSpecInput } from "./spec";
import { rejectSuiteSettings, specSuite } from "./suite-config";
import { projectDir, type ResolvedBaseline, resolveBaseline, SuiteRun } from "./suite-run";
import { ConfigError, validate } from "./validate";

export interface GuestOutputs {
  ipAddress: pulumi.Output<string>;
  sshCommand: pulumi.Output<string>;
  consoleLog: pulumi.Output<string>;
  closurePath: pulumi.Output<string>;
  /** How the guest's suite run went (guests with a suite, unless suite runs are off). */
  suite?: {
    outcome: pulumi.Output<string>;
    counts: pulumi.Output<Record<"pass" | "fail" | "skip" | "notrun" | "error", number>>;
    regressions: pulumi.Output<string[]>;
    fixes: pulumi.Output<string[]>;
    resultsPath: pulumi.Output<string>;
  };
}

/** Secrets a Lab takes beside its config (Pulumi config secrets of their own). */
export interface LabSecrets {
  /** `nixlab:sshPrivateKey`: root's key on the guests, for the suite runs. */
  sshPrivateKey?: pulumi.Input<string> | undefined;
}

/**
 * The demo guest's authorized keys, as kernel parameters (public keys only: they reach the
 * domain definition, never the Nix store). One `nixlab.ssh_key=<base64 of the line>` per key.
 */
export function demoKeyParams(keys: readonly string[]): string[] {
  return keys.map((k) => `nixlab.ssh_key=${Buffer.from(k.trim()).toString("base64")}`);
}

/** Room for keys on x86's 2048-byte kernel command line, beside the fixture's own parameters. */
const demoKeyRoom = 1500;

/** Instance names of a guest entry: the name itself, or name-1 … name-N. */
export const instanceNames = (g: Pick<GuestConfig, "name" | "count">): string[] =>
  g.count === 1 ? [g.name] : Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`);

/** The closure source of a guest entry. */
export function closureSource(
  g: GuestConfig,
  lab: LabConfig,
): (FlakeSource | SpecSource) & { imageless?: boolean } {
  const c = g.closure;
  const where = `nixlab:lab.guests[${lab.guests.indexOf(g)}].suite`;
  if (!("spec" in c)) rejectSuiteSettings(g, where);
  if ("demoFixture" in c) {
    const k = hostCachedKernel();
    const sshd = path.join(cacheDir(), "dropbear");
    if (!existsSync(path.join(sshd, "dropbear")))
      throw new Error(`no SSH server for the demo guest at ${sshd}: run scripts/setup-host (npm run setup)`);
    return {
      flake: `path:${path.join(repositoryRoot(), "examples", "demo-closure")}`,
      attribute: "packages.x86_64-linux.default",
      overrideInputs: {
        busybox: `path:${k.busyboxDir}`,
        bootModules: `path:${k.bootModules}`,
        sshd: `path:${sshd}`,
      },
      extraArgs: ["--no-write-lock-file"],
      imageless: true,
    };
  }
  if ("spec" in c) {
    const spec = c.spec as Record<string, unknown>;
    const sshKeys = [...lab.sshKeys, ...((spec.sshKeys as string[] | undefined) ?? [])];
    const testSuites = [
      ...new Set([...((spec.testSuites as string[] | undefined) ?? []), ...(g.suite ? [g.suite.name] : [])]),
    ];
    // The suite's settings, with what the guest's drives and storage imply (throws ConfigError).
    const suite = specSuite(g, spec.storage as Record<string, object> | undefined, where);
    return {
      spec: {
        hostName: g.name,
        ...spec,
        backend: g.backend,
        sshKeys,
        testSuites,
        ...(suite ? { suite } : {}),
      } as NixlabSpecInput,
      ...(lab.nixlab ? { nixlab: lab.nixlab } : {}),
      ...(lab.nixpkgs ? { nixpkgs: lab.nixpkgs } : {}),
      product: g.backend === "libvirt" ? "qcow2" : "toplevel",
    };
  }
  return {
    flake: c.flake,
    attribute: c.attribute,
    overrideInputs: c.overrideInputs,
    extraArgs: c.extraArgs,
    imageless: g.backend === "imageless",
  };
}

export class Lab extends pulumi.ComponentResource {
  readonly config: LabConfig;
  readonly guests: Record<string, GuestOutputs> = {};

  /**
   * Validate the config, then check it against the host (files, names held in libvirt, memory):
   * a bad config registers nothing, and every problem is reported at once.
   */
  static async create(
    name: string,
    config: unknown,
    opts?: pulumi.ComponentResourceOptions,
    secrets: LabSecrets = {},
  ): Promise<Lab> {
    const cfg = validate(labConfig, config, "nixlab:lab");
    const stack = pulumi.getStack();
    const recorded = await readRecordedObjects(stack);
    const host = await checkHost(cfg, { stack, project: pulumi.getProject(), recorded });
    for (const w of host.warnings) pulumi.log.warn(w);
    for (const s of host.skipped) pulumi.log.info(s);
    if (host.problems.length > 0) throw new ConfigError("nixlab:lab", host.problems);
    return new Lab(name, cfg, opts, secrets);
  }

  private constructor(
    name: string,
    cfg: LabConfig,
    opts?: pulumi.ComponentResourceOptions,
    secrets: LabSecrets = {},
  ) {
    // Every guest's closure source too (a suite missing what its guest cannot supply fails here).
    const sources = cfg.guests.map((g) => closureSource(g, cfg));
    const runs = suiteRuns(cfg, secrets);
    if (cfg.guests.some((g) => "demoFixture" in g.closure)) {
      const room = demoKeyParams(cfg.sshKeys).join(" ").length;
      if (room > demoKeyRoom)
        throw new ConfigError("nixlab:lab", [
          `nixlab:lab.sshKeys: ${room} bytes of keys do not fit the demo guest's kernel command line (at most ${demoKeyRoom}; ed25519 keys are short)`,
        ]);
    }
    super("nixlab:components:Lab", name, {}, opts);
    this.config = cfg;
    const uri = cfg.uri;

    const network = new Network(
      `${name}-network`,
      cfg.network.address
        ? {
            uri,
            name: cfg.network.name,
            address: cfg.network.address,
            ...(cfg.network.dhcp ? { dhcp: cfg.network.dhcp } : {}),
          }
        : { uri, name: cfg.network.name, existing: true },
      { parent: this },
    );
    const needsPool = cfg.guests.some((g) => g.backend === "libvirt" || g.drives.length > 0);
    const pool = needsPool
      ? new Pool(`${name}-pool`, { uri, name: cfg.pool.name, path: cfg.pool.path }, { parent: this })
      : undefined;

    for (const [i, g] of cfg.guests.entries()) {
      const source = sources[i] as ReturnType<typeof closureSource>;
      const closure = new NixosClosure(
        g.name,
        { source, ...(source.imageless !== undefined ? { imageless: source.imageless } : {}) },
        { parent: this },
      );
      const image =
        g.backend === "libvirt" && pool
          ? new Qcow2Image(g.name, { closure, pool: pool.name, uri }, { parent: this })
          : undefined;
      for (const instance of instanceNames(g)) {
        const common = {
          uri,
          vcpus: g.vcpus,
          memoryMiB: g.memoryMiB,
          network: network.name,
          drives: g.drives,
          ...(pool ? { pool: pool.name } : {}),
        };
        const guest = image
          ? new LibvirtGuest(
              instance,
              { ...common, image, ...(g.diskSize !== undefined ? { diskSize: g.diskSize } : {}) },
              { parent: this },
            )
          : new ImagelessGuest(
              instance,
              {
                ...common,
                closure,
                kernel: g.kernel ?? { hostCache: true },
                shares: g.shares,
                extraKernelParams: [
                  ...g.extraKernelParams,
                  ...("demoFixture" in g.closure ? demoKeyParams(cfg.sshKeys) : []),
                ],
              },
              { parent: this },
            );
        const outputs: GuestOutputs = {
          ipAddress: guest.ipAddress,
          sshCommand: guest.sshCommand,
          consoleLog: guest.consoleLog,
          closurePath: closure.closurePath,
        };
        if (g.suite && runs) {
          const run = new SuiteRun(
            `${instance}-suite`,
            {
              host: guest.ipAddress,
              guestId: guest.domain.uuid,
              privateKey: runs.privateKey,
              closure: closure.closurePath,
              ...(guest instanceof ImagelessGuest ? { kernel: guest.kernelImage } : {}),
              suite: g.suite,
              guest: instance,
              settings: cfg.suiteRun,
              baseline: runs.baseline,
            },
            { parent: this, dependsOn: [guest] },
          );
          outputs.suite = {
            outcome: run.outcome,
            counts: run.counts,
            regressions: run.regressions,
            fixes: run.fixes,
            resultsPath: run.resultsPath,
          };
        }
        this.guests[instance] = outputs;
      }
    }
    this.registerOutputs({ guests: this.guests });
  }
}

/**
 * What the stack's suite runs need, checked before anything is registered: the private key, and
 * the baseline read from its file. Undefined when no suite runs (none configured, or opted out).
 */
function suiteRuns(
  cfg: LabConfig,
  secrets: LabSecrets,
): { privateKey: pulumi.Input<string>; baseline: ResolvedBaseline } | undefined {
  const withSuite = cfg.guests.filter((g) => g.suite).map((g) => g.name);
  if (!cfg.suiteRun.enabled || withSuite.length === 0) return undefined;
  if (!secrets.sshPrivateKey)
    throw new ConfigError("nixlab:sshPrivateKey", [
      `nixlab:sshPrivateKey: must be set to run the suites of ${withSuite.join(", ")} over SSH ` +
        "(pulumi config set --secret nixlab:sshPrivateKey < KEYFILE; its public key in nixlab:lab.sshKeys), " +
        "or turn suite runs off with nixlab:lab.suiteRun.enabled: false",
    ]);
  try {
    return {
      privateKey: secrets.sshPrivateKey,
      baseline: resolveBaseline(cfg.suiteRun.baseline, projectDir()),
    };
  } catch (e) {
    throw new ConfigError("nixlab:lab", [
      `nixlab:lab.suiteRun.baseline: ${e instanceof Error ? e.message : String(e)}`,
    ]);
  }
}
