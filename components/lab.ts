// Lab: the whole test bed from one config object — a network, a pool, and one guest per test
// section (imageless or libvirt), each built from its closure.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Network, Pool } from "../provider/sdk/libvirt";
import { checkHost } from "./host-checks";
import { ImagelessGuest } from "./imageless-guest";
import { type GuestConfig, type LabConfig, labConfig } from "./lab-config";
import { LibvirtGuest } from "./libvirt-guest";
import { readRecordedObjects } from "./libvirt-ownership";
import { hostCachedKernel, repositoryRoot } from "./locations";
import { type FlakeSource, NixosClosure, type SpecSource } from "./nixos-closure";
import { Qcow2Image } from "./qcow2-image";
import type { NixlabSpecInput } from "./spec";
import { rejectSuiteSettings, specSuite } from "./suite-config";
import { ConfigError, validate } from "./validate";

export interface GuestOutputs {
  ipAddress: pulumi.Output<string>;
  sshCommand: pulumi.Output<string>;
  consoleLog: pulumi.Output<string>;
  closurePath: pulumi.Output<string>;
}

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
    return {
      flake: `path:${path.join(repositoryRoot(), "examples", "demo-closure")}`,
      attribute: "packages.x86_64-linux.default",
      overrideInputs: { busybox: `path:${k.busyboxDir}`, bootModules: `path:${k.bootModules}` },
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
  static async create(name: string, config: unknown, opts?: pulumi.ComponentResourceOptions): Promise<Lab> {
    const cfg = validate(labConfig, config, "nixlab:lab");
    const stack = pulumi.getStack();
    const recorded = await readRecordedObjects(stack);
    const host = await checkHost(cfg, { stack, project: pulumi.getProject(), recorded });
    for (const w of host.warnings) pulumi.log.warn(w);
    for (const s of host.skipped) pulumi.log.info(s);
    if (host.problems.length > 0) throw new ConfigError("nixlab:lab", host.problems);
    return new Lab(name, cfg, opts);
  }

  private constructor(name: string, cfg: LabConfig, opts?: pulumi.ComponentResourceOptions) {
    // Every guest's closure source too (a suite missing what its guest cannot supply fails here).
    const sources = cfg.guests.map((g) => closureSource(g, cfg));
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
                extraKernelParams: g.extraKernelParams,
              },
              { parent: this },
            );
        this.guests[instance] = {
          ipAddress: guest.ipAddress,
          sshCommand: guest.sshCommand,
          consoleLog: guest.consoleLog,
          closurePath: closure.closurePath,
        };
      }
    }
    this.registerOutputs({ guests: this.guests });
  }
}
