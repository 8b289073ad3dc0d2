// The `hosts` of a Lab config: the machines its guests run on. A host without `ssh` is this
// machine (the lab's `uri`); the others are reached over SSH (libvirt over qemu+ssh://, Nix
// over ssh-ng://). Each has a capacity that placement (placement.ts) packs guests into, and may
// have its own pool folder and network. A host's private key is not here: it is the stack's
// secret `nixlab:hostKeys.<host>` (or a key file named by ssh.identityFile).
import * as z from "zod";
import { sshConnection } from "../provider/host/ssh";
import { networkInputs } from "../provider/libvirt/network";
import { ipv4 } from "../provider/libvirt/schema";

export const objectName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/, "must be lower-case letters, digits and dashes");
const absolute = z.string().regex(/^\//, "must be an absolute path");

/** A lab network: an existing one by name, or one nixlab creates (NAT) when `address` is given. */
export const labNetwork = z
  .object({
    /** Default: `default` for an existing network; nixlab-<stack> for a created one. */
    name: objectName.optional(),
    /** Create it (NAT) with this host address/prefix, e.g. 192.168.150.1/24; else use an existing one. */
    address: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 address/prefix")
      .optional(),
    /** The DHCP range of a created network (default: the largest run beside the host address). */
    dhcp: z.object({ start: ipv4, end: ipv4 }).strict().optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.dhcp && !n.address)
      ctx.addIssue({
        code: "custom",
        path: ["dhcp"],
        message: "only applies with address (a created network)",
      });
    if (!n.dhcp || !n.address) return;
    // The same rules the Network resource checks, here so that they fail before anything is made.
    const r = networkInputs.safeParse({ name: n.name ?? "n", address: n.address, dhcp: n.dhcp });
    for (const issue of r.success ? [] : r.error.issues)
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });

/** How a host is reached: address, user, port, its host key; the key file or the secret key. */
export const hostSsh = z
  .object({
    address: sshConnection.shape.host,
    user: sshConnection.shape.user,
    port: sshConnection.shape.port,
    /** known_hosts lines for the host: its public host key, pinned (required unless accept-new). */
    knownHosts: z.string().min(1).optional(),
    /** strict (default): the host key must be knownHosts'; accept-new: trust it on first use. */
    hostKeyChecking: z.enum(["strict", "accept-new"]).default("strict"),
    /** A private key file on this machine (else the secret nixlab:hostKeys.<host>, else ssh's defaults). */
    identityFile: sshConnection.shape.identityFile,
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.hostKeyChecking === "strict" && s.knownHosts === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["knownHosts"],
        message:
          "is required: the host's public key, as ssh-keyscan prints it (or hostKeyChecking: accept-new)",
      });
  });

export const labHost = z
  .object({
    name: objectName,
    /** Absent: this machine, through the lab's uri. */
    ssh: hostSsh.optional(),
    /** What placement may give the guests on this host in all. */
    capacity: z
      .object({
        vcpus: z.number().int().min(1),
        memoryMiB: z.number().int().min(128, "must be at least 128"),
      })
      .strict(),
    /** This host's pool folder (default: the lab's pool path). */
    pool: z.object({ path: absolute }).strict().optional(),
    /** This host's network (default: the lab's network). */
    network: labNetwork.optional(),
    /** The host's Nix store as `nix copy --to` takes it (default ssh-ng://<user>@<address>). */
    nixStore: z
      .string()
      .regex(/^ssh(-ng)?:\/\/[^\s/?]+(\?\S*)?$/, "must be an ssh-ng:// (or ssh://) store URI")
      .optional(),
    /** Make the host a nixlab controller first: its own system, copied there and activated. */
    controller: z
      .object({
        flake: z.string().min(1, "must name a flake"),
        attribute: z.string().min(1, "must name an attribute"),
        confirmTimeoutSeconds: z.number().int().min(1).optional(),
        /** The system profile to switch (default /nix/var/nix/profiles/system). */
        profile: absolute.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.nixStore && !h.ssh)
      ctx.addIssue({ code: "custom", path: ["nixStore"], message: "only applies to a host with ssh" });
    if (h.controller && !h.ssh)
      ctx.addIssue({ code: "custom", path: ["controller"], message: "needs ssh (the host to activate)" });
    if (h.nixStore && h.ssh && !storeReaches(h.nixStore, h.ssh))
      ctx.addIssue({
        code: "custom",
        path: ["nixStore"],
        message: `must reach the same host as ssh (${h.ssh.user}@${h.ssh.address})`,
      });
  });

export type LabHost = z.output<typeof labHost>;
export type HostSsh = z.output<typeof hostSsh>;

/** user@host of a store URI, as Copy reads it. */
function storeReaches(store: string, ssh: HostSsh): boolean {
  const m = /^ssh(?:-ng)?:\/\/(?:([^@/?]+)@)?([^/?]+)/.exec(store);
  return m?.[2] === ssh.address && (m[1] ?? "root") === ssh.user;
}

/** Host checks across the list: names unique, one host for this machine at most. */
export function checkHosts(
  hosts: readonly LabHost[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    const first = seen.get(h.name);
    if (first !== undefined) issue(["hosts", i, "name"], `${h.name} is already hosts[${first}]'s name`);
    else seen.set(h.name, i);
  });
  const reached = new Map<string, number>();
  hosts.forEach((h, i) => {
    if (!h.ssh) return;
    const target = `${h.ssh.user}@${h.ssh.address}:${h.ssh.port}`;
    const first = reached.get(target);
    if (first !== undefined)
      issue(["hosts", i, "ssh"], `reaches the same machine as hosts[${first}] (${target}): list it once`);
    else reached.set(target, i);
  });
  const local = hosts.flatMap((h, i) => (h.ssh ? [] : [i]));
  if (local.length > 1)
    issue(
      ["hosts", local[1] as number],
      `only one host can be this machine (no ssh): hosts[${local[0]}] is already`,
    );
}
