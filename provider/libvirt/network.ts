// nixlab:libvirt:Network — a NAT (or routed, or isolated) network with a DHCP range; or, with
// `existing: true`, a network that is already there (such as `default`), used by name and never
// changed or deleted.
import * as z from "zod";
import { type Context, type Diff, type ResourceDefinition, stable } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { declare, known } from "./declared";
import { ipv4, objectName, uriInput } from "./schema";
import { sshInput } from "./ssh-connection";
import { type Virsh, virshFor } from "./virsh";
import { attr, buildXml, child, children, parseXml, text } from "./xml";

const ipToInt = (ip: string): number => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
export const prefixToNetmask = (prefix: number): string =>
  intToIp(prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix));
export const netmaskToPrefix = (mask: string): number => ipToInt(mask).toString(2).replace(/0+$/, "").length;
const sameSubnet = (a: string, b: string, prefix: number): boolean =>
  Math.floor(ipToInt(a) / 2 ** (32 - prefix)) === Math.floor(ipToInt(b) / 2 ** (32 - prefix));

const replace = { replaceOnChanges: true } as const;

export const networkInputs = z
  .object({
    uri: uriInput,
    name: objectName.meta({ description: "The network's name in libvirt.", ...replace }),
    existing: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Use the network of this name that already exists (e.g. `default`); never change or delete it.",
        ...replace,
      }),
    mode: z
      .enum(["nat", "route", "isolated"])
      .default("nat")
      .meta({ description: "How guests reach beyond the host.", typeName: "NetworkMode", ...replace }),
    bridge: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, "must be a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)")
      .optional()
      .meta({ description: "Bridge device name (default: libvirt picks virbrN).", ...replace }),
    address: z
      .string()
      .regex(/^[0-9.]+\/\d{1,2}$/, "must be an IPv4 address with a prefix length, e.g. 192.168.150.1/24")
      .refine((s) => ipv4.safeParse(s.split("/")[0]).success && Number(s.split("/")[1]) <= 30, {
        message: "must be an IPv4 address with a prefix length of at most 30",
      })
      .optional()
      .meta({
        description:
          "The host's address on the network with its prefix, e.g. `192.168.150.1/24`. Required unless `existing`.",
        ...replace,
      }),
    dhcp: z
      .object({
        start: ipv4.meta({ description: "First address of the range." }),
        end: ipv4.meta({ description: "Last address of the range." }),
      })
      .optional()
      .meta({
        description:
          "DHCP range inside `address`, not containing the host address. Default: the larger run of addresses on either side of the host address (guests need a lease).",
        typeName: "NetworkDhcp",
        ...replace,
      }),
    domain: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, "must be a DNS domain name")
      .optional()
      .meta({ description: "DNS domain of the guests.", ...replace }),
    autostart: z.boolean().default(true).meta({ description: "Start the network with libvirtd." }),
    ssh: sshInput,
  })
  .superRefine((v, ctx) => {
    if (v.existing) {
      for (const k of ["bridge", "address", "dhcp", "domain"] as const)
        if (v[k] !== undefined)
          ctx.addIssue({ code: "custom", path: [k], message: "cannot be set for an existing network" });
      return;
    }
    if (v.address === undefined) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "is required unless existing is true" });
      return;
    }
    const [host = "", p = "24"] = v.address.split("/");
    const prefix = Number(p);
    if (v.dhcp) {
      for (const k of ["start", "end"] as const)
        if (!sameSubnet(v.dhcp[k], host, prefix))
          ctx.addIssue({ code: "custom", path: ["dhcp", k], message: `is outside ${v.address}` });
      if (ipToInt(v.dhcp.start) > ipToInt(v.dhcp.end))
        ctx.addIssue({ code: "custom", path: ["dhcp", "end"], message: "comes before dhcp.start" });
      const h = ipToInt(host);
      if (ipToInt(v.dhcp.start) <= h && h <= ipToInt(v.dhcp.end))
        ctx.addIssue({
          code: "custom",
          path: ["dhcp"],
          message: `must not contain the host address ${host}`,
        });
    }
  })
  // Guests find their address by DHCP: a created network without a range gets the largest one
  // beside the host address (a network without DHCP left every guest without an IP).
  .transform((v) =>
    v.existing || v.dhcp !== undefined || v.address === undefined
      ? v
      : { ...v, dhcp: defaultDhcpRange(v.address) },
  );

/** The larger of the two address runs of `address`'s subnet on either side of the host address. */
export function defaultDhcpRange(address: string): { start: string; end: string } {
  const [host = "", p = "24"] = address.split("/");
  const size = 2 ** (32 - Number(p));
  const base = Math.floor(ipToInt(host) / size) * size;
  const h = ipToInt(host);
  const below = { start: base + 1, end: h - 1 };
  const above = { start: h + 1, end: base + size - 2 };
  const pick = above.end - above.start >= below.end - below.start ? above : below;
  return { start: intToIp(pick.start), end: intToIp(pick.end) };
}

export type NetworkInputs = z.output<typeof networkInputs>;

export const networkDeclaration = declareResource({
  token: "nixlab:libvirt:Network",
  description: "A libvirt virtual network (NAT with DHCP by default), or an existing one used by name.",
  inputs: networkInputs,
  outputs: z.object({
    uuid: z.string().meta({ description: "The network's UUID (the resource ID)." }),
    bridgeName: z.string().meta({ description: "The bridge device libvirt uses." }),
    active: z.boolean().meta({ description: "Whether the network is running." }),
    created: z
      .boolean()
      .meta({ description: "Whether this resource defined the network (an adopted one is never deleted)." }),
  }),
  deleteBeforeReplace: true,
});

export type NetworkState = StateOf<typeof networkDeclaration>;

export function networkXml(n: NetworkInputs): string {
  const [host = "", prefix = "24"] = (n.address ?? "").split("/");
  return buildXml({
    network: {
      name: n.name,
      ...(n.mode !== "isolated" ? { forward: { "@_mode": n.mode } } : {}),
      ...(n.bridge ? { bridge: { "@_name": n.bridge, "@_stp": "on", "@_delay": "0" } } : {}),
      ...(n.domain ? { domain: { "@_name": n.domain, "@_localOnly": "yes" } } : {}),
      ip: {
        "@_address": host,
        "@_netmask": prefixToNetmask(Number(prefix)),
        ...(n.dhcp ? { dhcp: { range: { "@_start": n.dhcp.start, "@_end": n.dhcp.end } } } : {}),
      },
    },
  });
}

export interface NetworkLive {
  uuid: string;
  name: string;
  mode: "nat" | "route" | "isolated" | string;
  bridgeName: string;
  address?: string;
  dhcp?: { start: string; end: string };
  domain?: string;
}

export function parseNetworkXml(xml: string): NetworkLive {
  const net = child(parseXml(xml, ["ip", "range"]), "network");
  const ip = children(net, "ip").find((i) => (attr(i, "family") ?? "ipv4") === "ipv4");
  const address = attr(ip, "address");
  const prefix =
    attr(ip, "prefix") ?? (attr(ip, "netmask") ? String(netmaskToPrefix(attr(ip, "netmask") ?? "")) : "24");
  const range = children(child(ip, "dhcp"), "range")[0];
  const domain = attr(child(net, "domain"), "name");
  return {
    uuid: text(net, "uuid") ?? "",
    name: text(net, "name") ?? "",
    mode: attr(child(net, "forward"), "mode") ?? "isolated",
    bridgeName: attr(child(net, "bridge"), "name") ?? "",
    ...(address ? { address: `${address}/${prefix}` } : {}),
    ...(range ? { dhcp: { start: attr(range, "start") ?? "", end: attr(range, "end") ?? "" } } : {}),
    ...(domain ? { domain } : {}),
  };
}

async function readLive(v: Virsh, idOrName: string) {
  const xml = await v.dumpOrNull(["net-dumpxml", idOrName]);
  if (xml === null) return null;
  const live = parseNetworkXml(xml);
  const info = (await v.info(["net-info", live.uuid])) ?? {};
  return { live, active: info.Active === "yes", autostart: info.Autostart === "yes" };
}

function toState(
  inputs: NetworkInputs | NetworkState,
  r: { live: NetworkLive; active: boolean; autostart: boolean },
  created: boolean,
): NetworkState {
  const { live } = r;
  // What the network is, as read back: an adopted network shows only what we were told.
  const described = inputs.existing
    ? {}
    : {
        mode: (["nat", "route", "isolated"].includes(live.mode)
          ? live.mode
          : inputs.mode) as NetworkState["mode"],
        ...(inputs.bridge !== undefined ? { bridge: live.bridgeName } : {}),
        ...(live.address !== undefined ? { address: live.address } : {}),
        ...(live.dhcp !== undefined ? { dhcp: live.dhcp } : {}),
        ...(live.domain !== undefined ? { domain: live.domain } : {}),
      };
  return {
    uri: inputs.uri,
    name: live.name,
    existing: inputs.existing,
    mode: inputs.mode,
    ...(inputs.bridge !== undefined ? { bridge: inputs.bridge } : {}),
    ...(inputs.address !== undefined ? { address: inputs.address } : {}),
    ...(inputs.dhcp !== undefined ? { dhcp: inputs.dhcp } : {}),
    ...(inputs.domain !== undefined ? { domain: inputs.domain } : {}),
    ...described,
    autostart: inputs.existing ? inputs.autostart : r.autostart,
    ...(inputs.ssh !== undefined ? { ssh: inputs.ssh } : {}),
    uuid: live.uuid,
    bridgeName: live.bridgeName,
    active: r.active,
    created,
  };
}

export const networkDefinition: ResourceDefinition<NetworkInputs, NetworkState> = {
  declaration: networkDeclaration,

  async preflight(ctx: Context, news: NetworkInputs) {
    if (!known(news.uri, news.name)) return [];
    if (news.existing) {
      const v = virshFor(ctx, news.uri, news.ssh);
      if ((await v.dumpOrNull(["net-dumpxml", news.name])) === null)
        return [
          {
            property: "name",
            reason: `no libvirt network named ${JSON.stringify(news.name)} on ${news.uri}`,
          },
        ];
    }
    declare("network", news.uri, news.name, ctx.urn);
    return [];
  },

  async diff(ctx, id, olds, news): Promise<Diff> {
    const d = declaredDiff(networkDeclaration, olds, news);
    if (d.replaces.length > 0) return d;
    // Changed behind our back with no refresh since: gone (made again) or stopped (started).
    const r = await readLive(virshFor(ctx, olds.uri, olds.ssh), id);
    if (!r) {
      if (news.existing) throw new Error(`name: the network ${news.name} no longer exists on ${news.uri}`);
      return { changes: true, replaces: ["name"] };
    }
    return !news.existing && !r.active ? { ...d, changes: true } : d;
  },

  async create(ctx, news) {
    const v = virshFor(ctx, news.uri, news.ssh);
    if (news.existing) {
      const r = await readLive(v, news.name);
      if (!r) throw new Error(`name: no libvirt network named ${JSON.stringify(news.name)} on ${news.uri}`);
      if (!r.active)
        ctx.log.warn(`network ${news.name} exists but is not active; guests on it will not start`);
      return { id: r.live.uuid, state: toState(news, r, false) };
    }
    const found = await readLive(v, news.name);
    if (found) {
      // Not in the state but defined: an interrupted earlier create of this network, when it
      // is the same network (libvirt 9.0 networks carry no metadata to say whose they are).
      const same = found.live.address === news.address && stable(found.live.dhcp) === stable(news.dhcp);
      if (!same)
        throw new Error(
          `name: a network ${JSON.stringify(news.name)} already exists on ${news.uri} (${found.live.address ?? "no address"}): use it with existing: true, or choose another name`,
        );
      ctx.log.warn(`taking over network ${news.name} (left by an interrupted create of this network)`);
    } else {
      await v.withXml("net-define", networkXml(news));
    }
    try {
      if (!found?.active) await v.exec(["net-start", news.name]);
      await v.exec(news.autostart ? ["net-autostart", news.name] : ["net-autostart", news.name, "--disable"]);
      const r = await readLive(v, news.name);
      if (!r) throw new Error(`network ${news.name} vanished while it was being created`);
      ctx.log.info(`network ${news.name} on bridge ${r.live.bridgeName}`);
      return { id: r.live.uuid, state: toState(news, r, true) };
    } catch (err) {
      await v.attempt(["net-destroy", news.name]);
      await v.attempt(["net-undefine", news.name]);
      throw err;
    }
  },

  async read(ctx, id, state) {
    const r = await readLive(virshFor(ctx, state.uri, state.ssh), id);
    return r ? { id, state: toState(state, r, state.created) } : null;
  },

  async update(ctx, id, olds, news) {
    const v = virshFor(ctx, news.uri, news.ssh);
    if (!news.existing && !(await readLive(v, id))?.active) {
      ctx.log.warn(`network ${news.name} is not active: starting it`);
      await v.exec(["net-start", id]);
    }
    if (!news.existing && olds.autostart !== news.autostart)
      await v.exec(news.autostart ? ["net-autostart", id] : ["net-autostart", id, "--disable"]);
    const r = await readLive(v, id);
    if (!r) throw new Error(`network ${news.name} (${id}) no longer exists`);
    return toState(news, r, olds.created);
  },

  async delete(ctx, id, state) {
    if (!state.created) return; // adopted: never ours to delete
    const v = virshFor(ctx, state.uri, state.ssh);
    if ((await v.dumpOrNull(["net-dumpxml", id])) === null) return;
    await v.attempt(["net-destroy", id]);
    await v.exec(["net-undefine", id]);
  },
};
