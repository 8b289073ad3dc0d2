// Lab: the whole test bed from one config object — a network, a pool, and one guest per test
// section (imageless or libvirt), each built from its closure; with `hosts`, spread over several
// machines (lab-hosts.ts: placement; host-store.ts: closures and kernels copied to each); and,
// unless the stack opts out (suiteRun.enabled: false), a SuiteRun for every guest with a `suite`.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type LibvirtSshArgs, Network, Pool } from "../provider/sdk/libvirt";
import { ControllerHost } from "./controller-host";
import { type GuestHost, HostStore, LocalStore } from "./host-store";
import { ImagelessGuest } from "./imageless-guest";
import { type GuestConfig, type LabConfig, labConfig, needsPool } from "./lab-config";
import { checkLabHosts } from "./lab-host-checks";
import { type PlannedHost, placeInstances, planHosts, previousPlacement } from "./lab-hosts";
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
  /** The host it runs on (a name of `hosts`; without hosts, "local" or the uri's host). */
  host: pulumi.Output<string>;
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
  /** `nixlab:hostKeys`: the private key of each ssh host, by host name. */
  hostKeys?: pulumi.Output<Record<string, string> | undefined> | undefined;
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

/** What Lab.create decided before any resource is registered. */
interface LabPlan {
  hosts: PlannedHost[];
  placement: Record<string, string>;
  /** Hosts that have a key in nixlab:hostKeys. */
  keyed: Set<string>;
  hostKeys?: pulumi.Output<Record<string, string> | undefined> | undefined;
}

const outputValue = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

/** nixlab:hostKeys: every key names an ssh host and holds a private key (values are never shown). */
function checkHostKeys(cfg: LabConfig, keys: Record<string, string> | undefined): string[] {
  const problems: string[] = [];
  for (const [host, key] of Object.entries(keys ?? {})) {
    const h = cfg.hosts?.find((x) => x.name === host);
    if (!h?.ssh)
      problems.push(
        `nixlab:hostKeys.${host}: names no host with ssh in nixlab:lab.hosts (${(cfg.hosts ?? []).flatMap((x) => (x.ssh ? [x.name] : [])).join(", ") || "none"})`,
      );
    else if (typeof key !== "string" || !/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.trim()))
      problems.push(`nixlab:hostKeys.${host}: must be a private key (OpenSSH or PEM), set with --secret`);
  }
  return problems;
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
    const keys = secrets.hostKeys ? await outputValue(secrets.hostKeys) : undefined;
    const keyProblems = checkHostKeys(cfg, keys);
    if (keyProblems.length > 0) throw new ConfigError("nixlab:hostKeys", keyProblems);
    const stack = pulumi.getStack();
    const recorded = await readRecordedObjects(stack);
    const hosts = planHosts(cfg);
    // Placement before anything is registered: guests that do not fit fail here.
    const placement = placeInstances(cfg, hosts, previousPlacement(recorded, hosts), (w) =>
      pulumi.log.warn(w),
    );
    const unreachable = suitesOnSshHosts(cfg, hosts, placement);
    if (unreachable.length > 0) throw new ConfigError("nixlab:lab", unreachable);
    const host = await checkLabHosts(
      cfg,
      hosts,
      placement,
      { stack, project: pulumi.getProject(), recorded },
      (h) => keys?.[h],
    );
    for (const w of host.warnings) pulumi.log.warn(w);
    for (const s of host.skipped) pulumi.log.info(s);
    if (host.problems.length > 0) throw new ConfigError("nixlab:lab", host.problems);
    return new Lab(
      name,
      cfg,
      { hosts, placement, keyed: new Set(Object.keys(keys ?? {})), hostKeys: secrets.hostKeys },
      opts,
      secrets,
    );
  }

  private constructor(
    name: string,
    cfg: LabConfig,
    plan: LabPlan,
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
    const onHost = new Map<string, HostResources>();
    const localStore = new LocalStore(name, this);
    for (const h of plan.hosts) {
      const instances = cfg.guests.flatMap((g) =>
        instanceNames(g)
          .filter((n) => plan.placement[n] === h.name)
          .map(() => g),
      );
      if (instances.length === 0) continue;
      onHost.set(h.name, this.hostResources(name, cfg, h, plan, instances.some(needsPool), localStore));
    }

    for (const [i, g] of cfg.guests.entries()) {
      const source = sources[i] as ReturnType<typeof closureSource>;
      const closure = new NixosClosure(
        g.name,
        { source, ...(source.imageless !== undefined ? { imageless: source.imageless } : {}) },
        { parent: this },
      );
      // A libvirt guest's image: uploaded once into the pool of each host its instances are on.
      const images = new Map<string, Qcow2Image>();
      const imageOn = (h: HostResources): Qcow2Image | undefined => {
        if (g.backend !== "libvirt" || !h.pool) return undefined;
        let image = images.get(h.host.name);
        if (!image) {
          image = new Qcow2Image(
            cfg.hosts ? `${g.name}-${h.host.name}` : g.name,
            { closure, pool: h.pool.name, uri: h.host.uri, ...(h.host.ssh ? { ssh: h.host.ssh } : {}) },
            { parent: this, ...(h.host.dependsOn ? { dependsOn: h.host.dependsOn } : {}) },
          );
          images.set(h.host.name, image);
        }
        return image;
      };
      for (const instance of instanceNames(g)) {
        const h = onHost.get(plan.placement[instance] as string) as HostResources;
        const image = imageOn(h);
        const common = {
          host: h.host,
          vcpus: g.vcpus,
          memoryMiB: g.memoryMiB,
          network: h.network.name,
          drives: g.drives,
          ...(h.pool ? { pool: h.pool.name } : {}),
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
                copyKey: g.name,
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
          host: pulumi.output(h.host.name),
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

  /** A host's network, pool, store and (for a controller) its activation. */
  private hostResources(
    name: string,
    cfg: LabConfig,
    h: PlannedHost,
    plan: LabPlan,
    withPool: boolean,
    localStore: LocalStore,
  ): HostResources {
    // Without hosts the names stay what they were (`lab-network`, `lab-pool`).
    const prefix = cfg.hosts ? `${name}-${h.name}` : name;
    const key =
      h.ssh && plan.keyed.has(h.name) && plan.hostKeys
        ? { privateKey: plan.hostKeys.apply((k) => k?.[h.name] ?? "") }
        : {};
    const settings = h.ssh
      ? {
          ...key,
          ...(h.ssh.identityFile ? { identityFile: h.ssh.identityFile } : {}),
          ...(h.ssh.knownHosts ? { knownHosts: h.ssh.knownHosts } : {}),
          hostKeyChecking: h.ssh.hostKeyChecking,
        }
      : undefined;
    const ssh: LibvirtSshArgs | undefined = settings;
    const controller =
      h.controller && h.ssh
        ? new ControllerHost(
            `${prefix}-controller`,
            {
              connection: { host: h.ssh.address, user: h.ssh.user, port: h.ssh.port, ...settings },
              closure: new NixosClosure(
                `${prefix}-controller`,
                { source: { flake: h.controller.flake, attribute: h.controller.attribute } },
                { parent: this },
              ).closurePath,
              ...(h.controller.confirmTimeoutSeconds
                ? { confirmTimeoutSeconds: h.controller.confirmTimeoutSeconds }
                : {}),
              ...(h.controller.profile ? { profile: h.controller.profile } : {}),
              ...(h.nixStore ? { nixStore: h.nixStore } : {}),
            },
            { parent: this },
          )
        : undefined;
    const dependsOn = controller ? [controller] : undefined;
    const after = { parent: this, ...(dependsOn ? { dependsOn } : {}) };
    const uri = h.uri;
    const withSsh = ssh ? { ssh } : {};
    const network = new Network(
      `${prefix}-network`,
      h.network.address
        ? {
            uri,
            name: h.network.name,
            address: h.network.address,
            ...(h.network.dhcp ? { dhcp: h.network.dhcp } : {}),
            ...withSsh,
          }
        : { uri, name: h.network.name, existing: true, ...withSsh },
      after,
    );
    const pool = withPool
      ? new Pool(
          `${prefix}-pool`,
          h.pool.existing
            ? { uri, name: h.pool.name, existing: true, ...withSsh }
            : { uri, name: h.pool.name, path: h.pool.path, ...withSsh },
          after,
        )
      : undefined;
    const store =
      h.nixStore && h.ssh
        ? new HostStore(
            {
              host: h.name,
              to: h.nixStore,
              ssh: { port: h.ssh.port, ...settings },
              ...(dependsOn ? { dependsOn } : {}),
            },
            name,
            this,
          )
        : undefined;
    const host: GuestHost = {
      name: h.name,
      uri,
      ...withSsh,
      ...(store ? { store, localStore } : {}),
      ...(dependsOn ? { dependsOn } : {}),
    };
    return { host, network, ...(pool ? { pool } : {}) };
  }
}

/** What the guests on one host use. */
interface HostResources {
  host: GuestHost;
  network: Network;
  pool?: Pool;
}

/**
 * A suite run reaches its guest over SSH from this machine, at the guest's address on its host's
 * network, which for a host reached over SSH is that host's NAT network: not reachable from here.
 */
function suitesOnSshHosts(cfg: LabConfig, hosts: PlannedHost[], placement: Record<string, string>): string[] {
  if (!cfg.suiteRun.enabled) return [];
  const remote = new Set(hosts.filter((h) => h.ssh).map((h) => h.name));
  return cfg.guests.flatMap((g, i) =>
    g.suite
      ? instanceNames(g)
          .filter((n) => remote.has(placement[n] as string))
          .map(
            (n) =>
              `nixlab:lab.guests[${i}]: ${n} runs ${g.suite?.name} but is placed on ${placement[n]}, reached over SSH; suite runs reach their guests from this machine, which cannot reach a guest on that host's network: give the guest host: <this machine's host>, or turn suite runs off (suiteRun.enabled: false)`,
          )
      : [],
  );
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
