// nixlab:libvirt:Domain — a guest from structured inputs. See README.md in this folder for the
// input/output shape and which changes update in place and which replace.
import { randomUUID } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { type Context, type Diff, type ResourceDefinition, stable } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { declare, declaredBy, known, volumeKey } from "./declared";
import {
  type BootShape,
  type DomainLive,
  type DomainSpec,
  domainXml,
  machineMatches,
  type NicShape,
  parseDomainXml,
  parseDomIfAddr,
} from "./domain-xml";
import { kvmUsable, localCpuFlags, qemuIdentity, unreadableReason } from "./host";
import { capabilities, definitionsView, domainsChanged, domainsView, leaseView } from "./host-view";
import {
  ensureReadOnlyView,
  isReadOnlyMount,
  localMountHost,
  type MountHost,
  readOnlyView,
  releaseReadOnlyViews,
  remoteMountHost,
  withViewLock,
} from "./readonly-share";
import { missingFilesMessage, missingOnHost, neededFiles } from "./remote-files";
import { absolutePath, mac, objectName, plainText, uriInput, volumeFormat } from "./schema";
import { sshInput, sshRunner, sshTargetOf } from "./ssh-connection";
import { isLocalUri, type Virsh, virshFor } from "./virsh";

const replace = { replaceOnChanges: true } as const;

export const domainDisk = z
  .object({
    pool: objectName.optional().meta({ description: "A volume of a libvirt pool: the pool's name…" }),
    volume: objectName.optional().meta({ description: "…and the volume's." }),
    path: absolutePath.optional().meta({ description: "Or an image file on the libvirt host." }),
    format: volumeFormat.default("qcow2").meta({ description: "The image's format." }),
    bus: z.enum(["virtio", "nvme", "sata", "scsi"]).default("virtio").meta({
      description: "nvme: an emulated NVMe controller and namespace (test drives); the guest sees nvme0n1…",
    }),
    serial: z
      .string()
      .regex(/^[A-Za-z0-9_.+-]{1,20}$/, "must be 1-20 of A-Z a-z 0-9 _ . + -")
      .optional()
      .meta({ description: "The disk's serial (/dev/disk/by-id names carry it)." }),
    readOnly: z.boolean().default(false).meta({ description: "Attach the disk read-only." }),
  })
  .meta({ typeName: "DomainDisk" })
  .superRefine((d, ctx) => {
    const byVolume = d.pool !== undefined || d.volume !== undefined;
    if (byVolume && d.path !== undefined)
      ctx.addIssue({ code: "custom", path: ["path"], message: "give either pool+volume or path, not both" });
    else if (!byVolume && d.path === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["volume"],
        message: "give pool+volume (a libvirt volume) or path (a file)",
      });
    else if (byVolume && (d.pool === undefined || d.volume === undefined))
      ctx.addIssue({
        code: "custom",
        path: [d.pool === undefined ? "pool" : "volume"],
        message: "is required with a volume disk",
      });
  });

export const domainNic = z
  .object({
    network: objectName.optional().meta({
      description: "A libvirt network (the guest's DHCP lease on the first one is reported as ipAddress)…",
    }),
    bridge: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, "must be a Linux interface name")
      .optional()
      .meta({ description: "…or a host bridge." }),
    mac: mac
      .optional()
      .meta({ description: "MAC address (default: libvirt generates one, kept across updates)." }),
    model: z
      .string()
      .regex(/^[a-z0-9-]+$/, "must be a NIC model such as virtio or e1000e")
      .default("virtio")
      .meta({ description: "NIC model." }),
  })
  .meta({ typeName: "DomainNic" })
  .superRefine((n, ctx) => {
    if ((n.network === undefined) === (n.bridge === undefined))
      ctx.addIssue({ code: "custom", path: ["network"], message: "give exactly one of network or bridge" });
  });

export const domainBoot = z
  .object({
    kernel: absolutePath.meta({ description: "The kernel image." }),
    initrd: absolutePath.optional().meta({ description: "The initrd." }),
    cmdline: plainText.trim().optional().meta({ description: "The kernel command line." }),
  })
  .meta({ typeName: "DomainBoot" });

export const domainFilesystem = z
  .object({
    source: absolutePath.meta({ description: "Host directory shared over virtiofs." }),
    tag: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,36}$/, "must be 1-36 of A-Z a-z 0-9 _ . : -")
      .meta({ description: "Mount tag: the guest mounts it with `mount -t virtiofs <tag> <dir>`." }),
    readOnly: z.boolean().default(false).meta({
      description:
        "Share read-only (on this machine through a read-only bind mount; libvirt < 11 refuses it for a remote host).",
    }),
  })
  .meta({ typeName: "DomainFilesystem" });

/** Changes of these are applied by redefining the domain (and restarting a running guest). */
const redefine = "update: redefine; a running guest is restarted (see `restartOnUpdate`)";

export const domainInputs = z
  .object({
    uri: uriInput,
    name: objectName.meta({
      description: "The domain's name (must not exist on the host unless this resource owns it).",
      ...replace,
    }),
    vcpus: z
      .number()
      .int()
      .min(1)
      .max(512)
      .default(1)
      .meta({ description: "Virtual CPUs.", change: redefine }),
    memoryMiB: z
      .number()
      .int()
      .min(32, "must be at least 32")
      .default(512)
      .meta({ description: "Memory in MiB.", change: redefine }),
    machine: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "must be a machine type such as q35 or pc")
      .default("q35")
      .meta({ description: "QEMU machine type.", ...replace }),
    arch: z
      .string()
      .regex(/^[a-z0-9_]+$/, "must be an architecture such as x86_64")
      .default("x86_64")
      .meta({ description: "Guest architecture.", ...replace }),
    virtType: z.enum(["auto", "kvm", "qemu"]).default("auto").meta({
      description:
        "auto: kvm when it is usable on the host, qemu (TCG) otherwise; output domainType says which.",
      change: redefine,
    }),
    cpu: z
      .object({
        mode: z
          .enum(["host-passthrough", "host-model", "maximum", "custom"])
          .meta({ description: "libvirt's CPU mode." }),
        model: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/)
          .optional()
          .meta({ description: "The CPU model (required with mode custom)." }),
      })
      .optional()
      .meta({ description: "CPU model (default: QEMU's).", typeName: "DomainCpu", change: redefine }),
    firmware: z
      .enum(["bios", "efi"])
      .default("bios")
      .meta({ description: "Firmware.", ...replace }),
    disks: z
      .array(domainDisk)
      .default([])
      .meta({ description: "Disks, in order.", ...replace }),
    networkInterfaces: z
      .array(domainNic)
      .default([])
      .meta({ description: "Network interfaces.", ...replace }),
    boot: domainBoot.optional().meta({
      description: "Direct kernel boot; without it the first disk boots.",
      ...replace,
    }),
    filesystems: z
      .array(domainFilesystem)
      .default([])
      .meta({ description: "Host directories shared over virtiofs.", ...replace }),
    consoleLog: absolutePath.optional().meta({
      description:
        "Serial console log on the libvirt host (default `/var/log/libvirt/qemu/<name>-console.log`), truncated at each start.",
      ...replace,
    }),
    autostart: z.boolean().default(false).meta({ description: "Start the guest with libvirtd." }),
    running: z.boolean().default(true).meta({
      description:
        "Keep the guest running (start it; or shut it down, forced off after `shutdownTimeoutSeconds`).",
    }),
    ipTimeoutSeconds: z.number().int().min(0).default(300).meta({
      description:
        "How long create and every start wait for the first libvirt-network NIC's DHCP lease (0: do not wait).",
    }),
    restartOnUpdate: z.boolean().default(true).meta({
      description:
        "Restart a running guest so that a vcpus/memory/cpu/virtType change takes effect now (false: at its next start).",
    }),
    shutdownTimeoutSeconds: z.number().int().min(0).default(60).meta({
      description: "Graceful shutdown (ACPI) before a forced stop, when stopping or restarting.",
    }),
    bootDir: absolutePath.default("/var/lib/libvirt/boot/nixlab").meta({
      description: "Where kernel/initrd copies go when QEMU's user cannot read them where they are.",
      ...replace,
    }),
    ssh: sshInput,
  })
  .superRefine((d, ctx) => {
    const tags = d.filesystems.map((f) => f.tag);
    tags.forEach((t, i) => {
      if (tags.indexOf(t) !== i)
        ctx.addIssue({ code: "custom", path: ["filesystems", i, "tag"], message: `duplicate tag ${t}` });
    });
    if (d.cpu?.mode === "custom" && d.cpu.model === undefined)
      ctx.addIssue({ code: "custom", path: ["cpu", "model"], message: "is required with mode custom" });
  });

export type DomainInputs = z.output<typeof domainInputs>;

export const domainDeclaration = declareResource({
  token: "nixlab:libvirt:Domain",
  description:
    "A libvirt guest: direct kernel boot or a boot disk, disks, NICs, virtiofs shares, a console log.",
  inputs: domainInputs,
  outputs: z.object({
    uuid: z.string().meta({ description: "The domain's UUID (the resource ID)." }),
    domainType: z.enum(["kvm", "qemu"]).meta({
      description: "kvm or qemu (TCG): what the domain runs with.",
      typeName: "DomainType",
    }),
    machineType: z.string().meta({ description: "libvirt's canonical machine type (e.g. pc-q35-7.2)." }),
    macAddresses: z.array(z.string()).meta({ description: "The NICs' MAC addresses, in order." }),
    ipAddress: z.string().meta({
      description:
        'DHCP address of the first NIC on a libvirt network, waited for up to `ipTimeoutSeconds` at create and at every start ("" without such a NIC or with `ipTimeoutSeconds` 0). No lease in time, or a guest that stops first, fails the create or update with the end of its console log.',
    }),
    consoleLogPath: z.string().meta({ description: "The serial console log on the libvirt host." }),
    domainXml: z.string().meta({ description: "The persistent domain XML (`virsh dumpxml --inactive`)." }),
    kernelPath: z.string().optional().meta({
      description:
        "The kernel as QEMU opens it (a copy under bootDir when QEMU could not read the original).",
    }),
    initrdPath: z.string().optional().meta({ description: "The initrd as QEMU opens it." }),
    createdFiles: z
      .array(z.string())
      .meta({ description: "Files this resource made (boot copies), removed on delete." }),
    consoleLogCreated: z
      .boolean()
      .meta({ description: "Whether this resource created the console log (then removed on delete)." }),
    state: z.string().meta({ description: "libvirt's state word: running, shut off, paused…" }),
  }),
  deleteBeforeReplace: true,
});

export type DomainOutputs = z.output<typeof domainDeclaration.outputs>;
export type DomainState = StateOf<typeof domainDeclaration>;

const defaultConsoleLog = (name: string): string => `/var/log/libvirt/qemu/${name}-console.log`;

const redefineKeys = ["vcpus", "memoryMiB", "cpu", "virtType"] as const;

async function chooseType(ctx: Context, v: Virsh, d: DomainInputs): Promise<"kvm" | "qemu"> {
  if (d.virtType !== "auto") return d.virtType;
  const caps = await capabilities(v);
  const kvm = kvmUsable(caps, d.arch, v.local ? localCpuFlags() : undefined);
  ctx.log.info(
    kvm
      ? "domain type kvm (hardware virtualisation)"
      : "domain type qemu (TCG): KVM is not usable on this host",
  );
  return kvm ? "kvm" : "qemu";
}

/**
 * The shares as libvirt gets them: on a local host a read-only share is served from a read-only
 * bind mount of its folder (see readonly-share.ts); a remote host gets `<readonly/>`, which
 * libvirt ≥ 11 supports and older versions refuse at define.
 */
export function effectiveFilesystems(d: Pick<DomainInputs, "uri" | "filesystems">) {
  if (!isLocalUri(d.uri) && !sshTargetOf(d.uri)) return d.filesystems;
  return d.filesystems.map((f) =>
    f.readOnly ? { ...f, source: readOnlyView(f.source), readOnly: false } : f,
  );
}

/** Where a domain's read-only views are mounted: here, over SSH, or nowhere (other transports). */
function mountHostFor(ctx: Context, d: Pick<DomainInputs, "uri" | "ssh">): MountHost | undefined {
  if (isLocalUri(d.uri)) return localMountHost(ctx.run);
  const run = sshRunner(ctx.run, d.uri, d.ssh);
  return run ? remoteMountHost(run) : undefined;
}

/** Mount the read-only views a domain's shares need. */
async function ensureViews(
  ctx: Context,
  d: Pick<DomainInputs, "uri" | "ssh" | "filesystems">,
): Promise<void> {
  const host = d.filesystems.some((f) => f.readOnly) ? mountHostFor(ctx, d) : undefined;
  if (!host) return;
  for (const f of d.filesystems) if (f.readOnly) await ensureReadOnlyView(host, f.source);
}

/** After a domain is gone: unmount its read-only views that no other defined domain uses. */
async function releaseViews(ctx: Context, v: Virsh, d: Pick<DomainInputs, "uri" | "ssh" | "filesystems">) {
  const host = d.filesystems.some((f) => f.readOnly) ? mountHostFor(ctx, d) : undefined;
  const views = host ? d.filesystems.filter((f) => f.readOnly).map((f) => readOnlyView(f.source)) : [];
  if (!host || views.length === 0) return;
  await withViewLock(async () => {
    // Every defined domain's shares, read now (two virsh processes, whatever their number).
    const inUse = new Set<string>();
    for (const [name, known] of await definitionsView(v, 0, Date.now())) {
      const xml = known ?? (await v.dumpOrNull(["dumpxml", "--inactive", name]));
      if (xml !== null) for (const f of parseDomainXml(xml).filesystems) inUse.add(f.source);
    }
    await releaseReadOnlyViews(host, views, inUse);
  });
}

/** MACs: as given, else the ones libvirt generated earlier (so a redefinition keeps them). */
function nicsWithMacs(nics: DomainInputs["networkInterfaces"], macs: readonly string[]): NicShape[] {
  return nics.map((n, i) => {
    const m = n.mac ?? macs[i];
    return { ...n, ...(m !== undefined ? { mac: m } : {}) };
  });
}

function specOf(
  d: DomainInputs,
  o: {
    uuid: string;
    domainType: "kvm" | "qemu";
    consoleLog: string;
    boot?: BootShape;
    macs: string[];
    urn?: string;
  },
): DomainSpec {
  return {
    name: d.name,
    uuid: o.uuid,
    domainType: o.domainType,
    vcpus: d.vcpus,
    memoryMiB: d.memoryMiB,
    machine: d.machine,
    arch: d.arch,
    ...(d.cpu ? { cpu: d.cpu } : {}),
    firmware: d.firmware,
    disks: d.disks,
    nics: nicsWithMacs(d.networkInterfaces, o.macs),
    ...(o.boot ? { boot: o.boot } : {}),
    filesystems: effectiveFilesystems(d),
    consoleLog: o.consoleLog,
    ...(o.urn !== undefined ? { urn: o.urn } : {}),
  };
}

/**
 * QEMU runs as an unprivileged user (libvirt-qemu) that often cannot reach the kernel/initrd
 * (e.g. under /root, mode 0700). Those are copied to bootDir/<uuid>/ (world-readable), which this
 * resource owns and removes on delete. Nix store paths are readable and used in place. Only for
 * local URIs: for a remote host the paths are the remote host's, used as given.
 */
function prepareBoot(
  ctx: Context,
  v: Virsh,
  d: DomainInputs,
  uuid: string,
): { boot?: BootShape; created: string[] } {
  if (!d.boot) return { created: [] };
  if (!v.local || /\/session$/.test(v.uri)) return { boot: d.boot, created: [] };
  const who = qemuIdentity();
  if (!who) return { boot: d.boot, created: [] };
  const created: string[] = [];
  const place = (field: "kernel" | "initrd", file: string): string => {
    const reason = unreadableReason(file, who);
    if (!reason) return file;
    const dir = path.join(d.bootDir, uuid);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(d.bootDir, 0o755);
    chmodSync(dir, 0o755);
    const copy = path.join(dir, field);
    copyFileSync(file, copy);
    chmodSync(copy, 0o644);
    created.push(copy);
    const still = unreadableReason(copy, who);
    if (still) throw new Error(`bootDir: ${still}; choose a bootDir that ${who.user} can reach`);
    ctx.log.info(`boot.${field}: ${reason}; using a copy at ${copy}`);
    return copy;
  };
  const kernel = place("kernel", d.boot.kernel);
  const initrd = d.boot.initrd !== undefined ? place("initrd", d.boot.initrd) : undefined;
  return {
    boot: {
      kernel,
      ...(initrd !== undefined ? { initrd } : {}),
      ...(d.boot.cmdline ? { cmdline: d.boot.cmdline } : {}),
    },
    created,
  };
}

function removeFiles(files: readonly string[]): void {
  for (const f of files) rmSync(f, { force: true });
  for (const dir of new Set(files.map((f) => path.dirname(f)))) rmSync(dir, { recursive: true, force: true });
}

/** UUIDs whose boot copies this process is making right now (their domain is not defined yet). */
const creating = new Set<string>();

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Boot copies whose domain is gone (undefined out of band, or a create that was killed): the
 * `<uuid>` folders under bootDir that no defined domain has, that no create of this process is
 * filling, and that are older than a minute (another process may be mid-create).
 */
async function sweepBootDirs(ctx: Context, v: Virsh, bootDir: string): Promise<void> {
  if (!v.local || !existsSync(bootDir)) return;
  // Creates side by side share one sweep (each would otherwise remove what another is looking at).
  const key = JSON.stringify([v.uri, bootDir]);
  const running = sweeps.get(key);
  if (running) return await running;
  const sweep = sweepOnce(ctx, v, bootDir).finally(() => sweeps.delete(key));
  sweeps.set(key, sweep);
  await sweep;
}

const sweeps = new Map<string, Promise<void>>();

async function sweepOnce(ctx: Context, v: Virsh, bootDir: string): Promise<void> {
  const entries = readdirSync(bootDir).filter((e) => uuidRe.test(e) && !creating.has(e));
  if (entries.length === 0) return;
  const defined = new Set(await v.names(["list", "--all", "--uuid"]));
  for (const e of entries) {
    const dir = path.join(bootDir, e);
    let age: number;
    try {
      age = Date.now() - statSync(dir).mtimeMs;
    } catch {
      continue; // removed meanwhile (by another process's sweep)
    }
    if (defined.has(e) || creating.has(e) || age < 60_000) continue;
    rmSync(dir, { recursive: true, force: true });
    ctx.log.info(`removed boot copies of a domain that no longer exists: ${dir}`);
  }
}

/** The last lines of a local console log, for error messages ("" when unreadable). */
export function consoleTail(file: string, lines = 25): string {
  try {
    const text = readFileSync(file, "utf8").replace(/\r/g, "");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Make the boot copies that were deleted again, from the files they copy (same paths). */
function restoreBootCopies(ctx: Context, olds: DomainState, d: DomainInputs): void {
  for (const copy of missingBootCopies(olds)) {
    const field = path.basename(copy) === "initrd" ? "initrd" : "kernel";
    const source = d.boot?.[field];
    if (source === undefined || !existsSync(source))
      throw new Error(
        `boot.${field}: ${source ?? "(none)"} is gone too; cannot restore the boot copy ${copy}`,
      );
    mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
    chmodSync(path.dirname(copy), 0o755);
    copyFileSync(source, copy);
    chmodSync(copy, 0o644);
    ctx.log.info(`restored the boot copy ${copy} from ${source}`);
  }
}

/** Boot copies (outputs) that are missing on this machine. */
function missingBootCopies(s: Pick<DomainState, "createdFiles">): string[] {
  return (s.createdFiles ?? []).filter((f) => !existsSync(f));
}

async function domState(v: Virsh, id: string): Promise<string | null> {
  const out = await v.dumpOrNull(["domstate", id]);
  return out === null ? null : out.trim();
}

const isRunning = (s: string | null): boolean => s === "running" || s === "paused" || s === "in shutdown";

async function stop(ctx: Context, v: Virsh, id: string, timeoutSeconds: number): Promise<void> {
  if (!isRunning(await domState(v, id))) return;
  if (timeoutSeconds > 0) {
    await v.attempt(["shutdown", id]);
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      if (!isRunning(await domState(v, id))) return;
      await sleep(500);
    }
    ctx.log.warn(`guest did not shut down within ${timeoutSeconds} s: forcing it off`);
  }
  await v.attempt(["destroy", id]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait for the DHCP lease of the first NIC on a libvirt network; "" when there is none or on
 * timeout. Guests waiting side by side share one look per second at the network's leases and the
 * active domains (host-view.ts), each taken after this guest's start.
 */
async function waitForIp(
  ctx: Context,
  v: Virsh,
  id: string,
  d: DomainInputs,
  macs: string[],
): Promise<string> {
  const i = d.networkInterfaces.findIndex((n) => n.network !== undefined);
  const want = i >= 0 ? macs[i] : undefined;
  const network = i >= 0 ? d.networkInterfaces[i]?.network : undefined;
  if (want === undefined || network === undefined || d.ipTimeoutSeconds === 0) return "";
  ctx.log.status(`waiting up to ${d.ipTimeoutSeconds} s for the DHCP lease of ${want}`);
  const started = Date.now();
  const deadline = started + d.ipTimeoutSeconds * 1000;
  for (;;) {
    const view = await leaseView(v, network, 900, started);
    const ip = view.leases ? (view.leases.get(want.toLowerCase()) ?? "") : await currentIp(v, id, want);
    if (ip) return ip;
    // Not active in the shared look (or it could not be read): asked again before giving up.
    const stopped = !view.active?.has(id) && !isRunning(await domState(v, id));
    if (stopped || Date.now() > deadline) {
      const why = stopped
        ? "the guest stopped before it took a DHCP lease"
        : `no DHCP lease for ${want} within ipTimeoutSeconds (${d.ipTimeoutSeconds} s)`;
      const log = (await liveState(v, id))?.live.consoleLog;
      const tail = v.local && log ? consoleTail(log) : "";
      throw new Error(
        `${d.name}: ${why}${tail ? `; the console (${log}) ends with:\n${tail}` : log ? `; see its console log ${log}` : ""}`,
      );
    }
    await sleep(1000);
  }
}

async function currentIp(v: Virsh, id: string, mac: string): Promise<string> {
  const r = await v.attempt(["domifaddr", id, "--source", "lease"]);
  if (r.exitCode !== 0) return "";
  return parseDomIfAddr(r.stdout).find((row) => row.mac === mac && row.protocol === "ipv4")?.address ?? "";
}

async function liveState(v: Virsh, id: string) {
  const xml = await v.dumpOrNull(["dumpxml", "--inactive", id]);
  if (xml === null) return null;
  const info = (await v.info(["dominfo", id])) ?? {};
  return { xml, live: parseDomainXml(xml), state: info.State ?? "", autostart: info.Autostart === "enable" };
}

function outputs(
  r: { xml: string; live: DomainLive; state: string },
  extra: Pick<
    DomainOutputs,
    "ipAddress" | "createdFiles" | "consoleLogCreated" | "kernelPath" | "initrdPath"
  >,
): DomainOutputs {
  return {
    uuid: r.live.uuid,
    domainType: r.live.domainType === "kvm" ? "kvm" : "qemu",
    machineType: r.live.machine,
    macAddresses: r.live.nics.map((n) => n.mac ?? ""),
    ipAddress: extra.ipAddress,
    consoleLogPath: r.live.consoleLog ?? "",
    domainXml: r.xml,
    ...(extra.kernelPath !== undefined ? { kernelPath: extra.kernelPath } : {}),
    ...(extra.initrdPath !== undefined ? { initrdPath: extra.initrdPath } : {}),
    createdFiles: extra.createdFiles,
    consoleLogCreated: extra.consoleLogCreated,
    state: r.state,
  };
}

async function start(ctx: Context, v: Virsh, id: string, d: DomainInputs): Promise<string> {
  ctx.log.status(`starting ${d.name}`);
  await v.exec(["start", id]);
  const r = await liveState(v, id);
  return await waitForIp(ctx, v, id, d, r?.live.nics.map((n) => n.mac ?? "") ?? []);
}

export const domainDefinition: ResourceDefinition<DomainInputs, DomainState> = {
  declaration: domainDeclaration,

  async preflight(ctx, d) {
    const failures: { property: string; reason: string }[] = [];
    if (!known(d.uri)) return failures;
    const v = virshFor(ctx, d.uri, d.ssh);
    if (known(d.name)) {
      const other = declaredBy("domain", d.uri, d.name);
      // The checks of a lab's domains come one after another: they share one look (at most 1 s
      // old) at every defined domain. A name it does not show is looked up afresh, so that a
      // domain defined since is still refused here.
      const listed = (await definitionsView(v, 1000)).get(d.name);
      const existing = listed ?? (await v.dumpOrNull(["dumpxml", "--inactive", d.name]));
      if (existing !== null && parseDomainXml(existing).urn !== ctx.urn)
        failures.push({
          property: "name",
          reason: `a domain named ${JSON.stringify(d.name)} already exists on ${d.uri}`,
        });
      else if (other !== undefined && other !== ctx.urn)
        failures.push({
          property: "name",
          reason: `domain name ${JSON.stringify(d.name)} is also used by ${other}`,
        });
    }
    for (const [i, n] of d.networkInterfaces.entries()) {
      const net = n.network;
      if (net === undefined || !known(net) || declaredBy("network", d.uri, net)) continue;
      if ((await v.dumpOrNull(["net-info", net])) === null)
        failures.push({
          property: `networkInterfaces[${i}].network`,
          reason: `no libvirt network named ${JSON.stringify(net)} on ${d.uri}`,
        });
    }
    for (const [i, disk] of d.disks.entries()) {
      if (disk.pool !== undefined && disk.volume !== undefined) {
        if (!known(disk.pool, disk.volume)) continue;
        if (declaredBy("volume", d.uri, volumeKey(disk.pool, disk.volume))) continue;
        if ((await v.dumpOrNull(["vol-info", disk.volume, "--pool", disk.pool])) === null)
          failures.push({
            property: `disks[${i}].volume`,
            reason: `no volume ${JSON.stringify(disk.volume)} in pool ${JSON.stringify(disk.pool)}`,
          });
      } else if (disk.path !== undefined && v.local && !existsSync(disk.path)) {
        failures.push({ property: `disks[${i}].path`, reason: `no such file: ${disk.path}` });
      }
    }
    // Files named by path live on the libvirt host: checkable only when that is this machine.
    if (v.local) {
      const file = (property: string, p: string | undefined) => {
        if (p === undefined) return;
        if (!existsSync(p)) failures.push({ property, reason: `no such file: ${p}` });
        else if (!statSync(p).isFile()) failures.push({ property, reason: `not a regular file: ${p}` });
      };
      file("boot.kernel", d.boot?.kernel);
      file("boot.initrd", d.boot?.initrd);
      for (const [i, f] of d.filesystems.entries()) {
        if (!existsSync(f.source) || !statSync(f.source).isDirectory())
          failures.push({ property: `filesystems[${i}].source`, reason: `no such directory: ${f.source}` });
      }
    }
    if (failures.length === 0 && known(d.name)) declare("domain", d.uri, d.name, ctx.urn);
    return failures;
  },

  async diff(ctx, id, olds, news): Promise<Diff> {
    const d = declaredDiff(domainDeclaration, olds, news);
    if (d.replaces.length > 0) return d;
    // What changed behind our back since the last refresh (a plain `up` reads nothing): a domain
    // that is gone is made again; a stopped one, or one missing its boot copies, is repaired.
    const v = virshFor(ctx, olds.uri, olds.ssh);
    // A lab's diffs share one look (at most 1 s old) at which domains are defined and active;
    // what it shows missing or stopped is looked at again before anything is repaired.
    const seen = await domainsView(v, 1000);
    const state = seen.defined.has(id) && seen.active.has(id) ? "running" : await domState(v, id);
    if (state === null) {
      ctx.log.warn(`domain ${olds.name} no longer exists: it will be created again`);
      return { changes: true, replaces: ["name"] };
    }
    const missing = v.local ? missingBootCopies(olds) : [];
    if (missing.length > 0)
      ctx.log.warn(`boot copies are missing (${missing.join(", ")}): they will be made again`);
    const stopped = news.running && !isRunning(state);
    const views = v.local
      ? olds.filesystems.filter((f) => f.readOnly && !isReadOnlyMount(readOnlyView(f.source)))
      : [];
    if (views.length > 0) ctx.log.warn("read-only share views are not mounted: they will be mounted again");
    return missing.length > 0 || stopped || views.length > 0 ? { ...d, changes: true } : d;
  },

  async create(ctx, d) {
    domainsChanged();
    const v = virshFor(ctx, d.uri, d.ssh);
    if (!v.local) {
      // The files it names must be on that host (its closure copied there): say so now, not at start.
      const needed = neededFiles(d);
      const missing = await missingOnHost(
        ctx,
        d.uri,
        d.ssh,
        needed.map((f) => f.path),
      );
      if (missing && missing.length > 0)
        throw new Error(
          missingFilesMessage(
            d.name,
            d.uri,
            needed.filter((f) => missing.includes(f.path)),
          ),
        );
    }
    await removeInterruptedCreate(ctx, v, d);
    const domainType = await chooseType(ctx, v, d);
    const uuid = randomUUID();
    creating.add(uuid);
    try {
      await sweepBootDirs(ctx, v, d.bootDir);
      return await createDomain(ctx, v, d, uuid, domainType);
    } finally {
      creating.delete(uuid);
    }
  },

  async read(ctx, id, s) {
    const v = virshFor(ctx, s.uri, s.ssh);
    const r = await liveState(v, id);
    if (!r) {
      // Undefined behind our back: the files (and views) this resource made for it go with it.
      await releaseViews(ctx, v, s);
      if (v.local) {
        removeFiles(s.createdFiles ?? []);
        if (s.consoleLogCreated && s.consoleLogPath) rmSync(s.consoleLogPath, { force: true });
      }
      return null;
    }
    const missing = v.local ? missingBootCopies(s) : [];
    if (missing.length > 0)
      ctx.log.warn(`boot copies are missing: ${missing.join(", ")} (the next up makes them again)`);
    const { live } = r;
    // Compare the live definition with what this state would generate, both read through the
    // same parser (so only what nixlab manages counts, not what libvirt adds on its own).
    const expected = parseDomainXml(
      domainXml(
        specOf(s, {
          uuid: s.uuid,
          domainType: s.domainType,
          consoleLog: s.consoleLogPath,
          boot: s.boot
            ? {
                ...s.boot,
                kernel: s.kernelPath ?? s.boot.kernel,
                ...(s.initrdPath ? { initrd: s.initrdPath } : {}),
              }
            : undefined,
          macs: s.macAddresses,
        }),
      ),
    );
    const drift: Partial<DomainInputs> = {};
    if (live.name !== s.name) drift.name = live.name;
    if (live.vcpus !== s.vcpus) drift.vcpus = live.vcpus;
    if (live.memoryMiB !== s.memoryMiB) drift.memoryMiB = live.memoryMiB;
    if (s.cpu !== undefined && stable(live.cpu) !== stable(expected.cpu)) drift.cpu = live.cpu;
    if (!machineMatches(s.machine, live.machine)) drift.machine = live.machine;
    if (live.arch !== s.arch) drift.arch = live.arch;
    if (live.firmware !== s.firmware) drift.firmware = live.firmware;
    if (live.domainType !== s.domainType) drift.virtType = live.domainType === "kvm" ? "kvm" : "qemu";
    if (stable(live.disks) !== stable(expected.disks)) drift.disks = live.disks;
    if (stable(live.nics) !== stable(expected.nics))
      drift.networkInterfaces = live.nics.map((n) => ({ ...n, model: n.model || "virtio" }));
    if (stable(live.boot) !== stable(expected.boot)) drift.boot = live.boot;
    if (stable(live.filesystems) !== stable(expected.filesystems)) drift.filesystems = live.filesystems;
    if ((live.consoleLog ?? "") !== s.consoleLogPath) drift.consoleLog = live.consoleLog ?? "";
    const running = isRunning(r.state);
    const ipAddress = running
      ? (await currentIp(v, id, expected.nics.find((n) => n.network !== undefined)?.mac ?? "")) || s.ipAddress
      : "";
    return {
      id,
      state: {
        ...s,
        ...drift,
        running,
        autostart: r.autostart,
        ...outputs(r, {
          ipAddress,
          createdFiles: s.createdFiles,
          consoleLogCreated: s.consoleLogCreated,
          kernelPath: s.kernelPath,
          initrdPath: s.initrdPath,
        }),
      },
    };
  },

  async update(ctx, id, olds, d) {
    domainsChanged();
    const v = virshFor(ctx, d.uri, d.ssh);
    if (v.local) restoreBootCopies(ctx, olds, d);
    await ensureViews(ctx, d);
    let ipAddress = olds.ipAddress;
    let domainType = olds.domainType;
    const redefine = redefineKeys.some((k) => stable(olds[k]) !== stable(d[k]));
    const wasRunning = isRunning(await domState(v, id));
    if (redefine) {
      domainType = await chooseType(ctx, v, d);
      const boot = d.boot
        ? {
            ...d.boot,
            kernel: olds.kernelPath ?? d.boot.kernel,
            ...(olds.initrdPath ? { initrd: olds.initrdPath } : {}),
          }
        : undefined;
      await v.withXml(
        "define",
        domainXml(
          specOf(d, {
            uuid: id,
            domainType,
            consoleLog: olds.consoleLogPath,
            boot,
            macs: olds.macAddresses,
            urn: ctx.urn,
          }),
        ),
      );
      if (wasRunning && d.running) {
        if (d.restartOnUpdate) {
          ctx.log.info("restarting the guest so that the new definition takes effect");
          await stop(ctx, v, id, d.shutdownTimeoutSeconds);
          ipAddress = await start(ctx, v, id, d);
        } else {
          ctx.log.warn(
            "the new definition takes effect at the guest's next start (restartOnUpdate is false)",
          );
        }
      }
    }
    if (olds.autostart !== d.autostart)
      await v.exec(d.autostart ? ["autostart", id] : ["autostart", id, "--disable"]);
    const nowRunning = isRunning(await domState(v, id));
    if (d.running && !nowRunning) ipAddress = await start(ctx, v, id, d);
    if (!d.running && nowRunning) {
      await stop(ctx, v, id, d.shutdownTimeoutSeconds);
      ipAddress = "";
    }
    const r = await liveState(v, id);
    if (!r) throw new Error(`domain ${d.name} (${id}) no longer exists`);
    return {
      ...d,
      ...outputs(r, {
        ipAddress,
        createdFiles: olds.createdFiles,
        consoleLogCreated: olds.consoleLogCreated,
        kernelPath: olds.kernelPath,
        initrdPath: olds.initrdPath,
      }),
    };
  },

  async delete(ctx, id, s) {
    domainsChanged();
    const v = virshFor(ctx, s.uri, s.ssh);
    if ((await v.dumpOrNull(["dominfo", id])) !== null) {
      await v.attempt(["destroy", id]);
      // --nvram: the UEFI variable store libvirt made for it; --managed-save: a saved state.
      await v.exec(["undefine", id, "--nvram", "--managed-save"]);
    }
    await releaseViews(ctx, v, s);
    if (v.local) {
      removeFiles(s.createdFiles ?? []);
      if (s.consoleLogCreated && s.consoleLogPath) rmSync(s.consoleLogPath, { force: true });
    } else if (s.consoleLogCreated && s.consoleLogPath) {
      const run = sshRunner(ctx.run, s.uri, s.ssh);
      if (run) await run("rm", ["-f", s.consoleLogPath]);
      else ctx.log.warn(`console log ${s.consoleLogPath} stays on the remote host`);
    }
  },
};

/**
 * A domain of this name that carries this resource's URN but is not in the state was left by a
 * create that was interrupted (a killed `up`, a provider that died). It may be half made, so it
 * is removed, with its boot copies and console log, and made again.
 */
async function removeInterruptedCreate(ctx: Context, v: Virsh, d: DomainInputs): Promise<void> {
  const xml = await v.dumpOrNull(["dumpxml", "--inactive", d.name]);
  if (xml === null) return;
  const old = parseDomainXml(xml);
  if (old.urn !== ctx.urn)
    throw new Error(`name: a domain named ${JSON.stringify(d.name)} already exists on ${d.uri}`);
  ctx.log.warn(`removing domain ${d.name} (${old.uuid}) left by an interrupted create; creating it again`);
  await v.attempt(["destroy", old.uuid]);
  await v.exec(["undefine", old.uuid, "--nvram", "--managed-save"]);
  await releaseViews(ctx, v, d);
  if (v.local) {
    rmSync(path.join(d.bootDir, old.uuid), { recursive: true, force: true });
    if (old.consoleLog) rmSync(old.consoleLog, { force: true });
  }
}

async function createDomain(
  ctx: Context,
  v: Virsh,
  d: DomainInputs,
  uuid: string,
  domainType: "kvm" | "qemu",
): Promise<{ id: string; state: DomainState }> {
  const consoleLog = d.consoleLog ?? defaultConsoleLog(d.name);
  // Whether this domain makes its console log (then removed with it), also on an ssh host.
  const consoleLogCreated = v.local
    ? !existsSync(consoleLog)
    : ((await missingOnHost(ctx, d.uri, d.ssh, [consoleLog])) ?? []).length > 0;
  const { boot: effectiveBoot, created } = prepareBoot(ctx, v, d, uuid);
  let defined = false;
  try {
    // Views and definition together: a concurrent release then sees this domain using them.
    await withViewLock(async () => {
      await ensureViews(ctx, d);
      await v.withXml(
        "define",
        domainXml(specOf(d, { uuid, domainType, consoleLog, boot: effectiveBoot, macs: [], urn: ctx.urn })),
      );
      defined = true;
    });
    if (d.autostart) await v.exec(["autostart", uuid]);
    const ipAddress = d.running ? await start(ctx, v, uuid, d) : "";
    const r = await liveState(v, uuid);
    if (!r) throw new Error(`domain ${d.name} vanished while it was being created`);
    return {
      id: uuid,
      state: {
        ...d,
        ...outputs(r, {
          ipAddress,
          createdFiles: created,
          consoleLogCreated,
          kernelPath: effectiveBoot?.kernel,
          initrdPath: effectiveBoot?.initrd,
        }),
      },
    };
  } catch (err) {
    // Leave nothing behind: the engine records no resource when create fails. Files go only
    // once the domain is surely gone: a domain that is still there (libvirtd unreachable)
    // keeps them, and the next create of this resource removes it and them.
    let gone = !defined;
    if (defined) {
      await v.attempt(["destroy", uuid]);
      await v.attempt(["undefine", uuid, "--nvram", "--managed-save"]);
      gone = await v
        .dumpOrNull(["dominfo", uuid])
        .then((x) => x === null)
        .catch(() => false);
    }
    if (gone) {
      removeFiles(created);
      if (consoleLogCreated) rmSync(consoleLog, { force: true });
    } else {
      ctx.log.warn(`could not remove domain ${d.name} (${uuid}); the next up removes it`);
    }
    throw err;
  }
}
