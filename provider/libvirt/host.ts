// Facts about the libvirt host that a domain depends on: can it use KVM, and can libvirt's
// QEMU user read a kernel/initrd where it is.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import { attr, child, children, parseXml } from "./xml";

/**
 * KVM is usable when libvirt offers domain type kvm for the arch AND the CPU has VMX/SVM. The
 * second half matters: a nested guest without VMX still has a /dev/kvm that libvirt offers, but
 * QEMU with -accel kvm then hangs after the BIOS. `cpuFlags` is /proc/cpuinfo's flags line for a
 * local host; for a remote one the host CPU features from the capabilities XML stand in.
 */
export function kvmUsable(capabilitiesXml: string, arch: string, cpuFlags?: string): boolean {
  const caps = child(parseXml(capabilitiesXml, ["guest", "domain", "feature"]), "capabilities");
  const offered = children(caps, "guest").some(
    (g) =>
      attr(child(g, "arch"), "name") === arch &&
      children(child(g, "arch"), "domain").some((d) => attr(d, "type") === "kvm"),
  );
  if (!offered) return false;
  if (cpuFlags !== undefined) return /\b(vmx|svm)\b/.test(cpuFlags);
  const features = children(child(child(caps, "host"), "cpu"), "feature").map((f) => attr(f, "name"));
  return features.includes("vmx") || features.includes("svm");
}

export function localCpuFlags(): string | undefined {
  try {
    return /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

export interface Identity {
  user: string;
  uid: number;
  gids: number[];
}

/** The user/group QEMU runs as under qemu:///system: qemu.conf's `user`/`group`, else the distro default. */
export function qemuIdentity(
  files: { qemuConf?: string; passwd: string; group: string } = {
    qemuConf: existsSync("/etc/libvirt/qemu.conf")
      ? readFileSync("/etc/libvirt/qemu.conf", "utf8")
      : undefined,
    passwd: readFileSync("/etc/passwd", "utf8"),
    group: readFileSync("/etc/group", "utf8"),
  },
): Identity | undefined {
  const conf = (key: string) =>
    new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, "m").exec(files.qemuConf ?? "")?.[1];
  const users = files.passwd
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4);
  const groups = files.group
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 3);
  const wanted = conf("user") ?? ["libvirt-qemu", "qemu"].find((u) => users.some((f) => f[0] === u));
  const entry = users.find((f) => f[0] === wanted || f[2] === wanted?.replace(/^\+/, ""));
  if (!entry) return undefined;
  const [user = "", , uid = "", gid = ""] = entry;
  const groupName = conf("group");
  const primary = groupName
    ? Number(groups.find((g) => g[0] === groupName || g[2] === groupName.replace(/^\+/, ""))?.[2] ?? gid)
    : Number(gid);
  const supplementary = groups.filter((g) => (g[3] ?? "").split(",").includes(user)).map((g) => Number(g[2]));
  return { user, uid: Number(uid), gids: [...new Set([primary, ...supplementary])] };
}

type Stat = { mode: number; uid: number; gid: number };

function allowed(st: Stat, who: Identity, bit: 4 | 1): boolean {
  if (who.uid === 0) return true;
  if (st.uid === who.uid) return ((st.mode >> 6) & bit) !== 0;
  if (who.gids.includes(st.gid)) return ((st.mode >> 3) & bit) !== 0;
  return (st.mode & bit) !== 0;
}

/**
 * Why `who` cannot read `file` (every parent directory searchable, the file readable), or
 * undefined when it can. Judged from mode bits (ACLs are not consulted).
 */
export function unreadableReason(
  file: string,
  who: Identity,
  stat: (p: string) => Stat = (p) => statSync(p),
  realpath: (p: string) => string = (p) => realpathSync(p),
): string | undefined {
  // QEMU opens the path as given (its parents) and lands on the real file (its parents too).
  const abs = path.resolve(file);
  return walk(abs, who, stat) ?? walk(realpath(abs), who, stat);
}

function walk(abs: string, who: Identity, stat: (p: string) => Stat): string | undefined {
  const parts = abs.split("/").filter(Boolean);
  let dir = "/";
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    if (!allowed(stat(dir), who, 1)) return `${who.user} cannot enter ${dir}`;
  }
  if (!allowed(stat(abs), who, 4)) return `${who.user} cannot read ${abs}`;
  return undefined;
}
