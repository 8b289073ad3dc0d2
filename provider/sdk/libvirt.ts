// Program-side classes for the libvirt resources of the nixlab provider plugin, made from their
// declarations (provider/libvirt/*.ts). Every resource takes `uri` (default qemu:///system;
// qemu+ssh://user@host/system for a remote host). Semantics, and which changes update in place and
// which replace: provider/libvirt/README.md.
import {
  type domainBoot,
  domainDeclaration,
  type domainDisk,
  type domainFilesystem,
  type domainNic,
} from "../libvirt/domain";
import { networkDeclaration } from "../libvirt/network";
import { poolDeclaration } from "../libvirt/pool";
import type { libvirtSsh } from "../libvirt/ssh-connection";
import { volumeDeclaration } from "../libvirt/volume";
import { type ObjectArgs, type ResourceArgs, resourceClass } from "./resource-class";

/** A `dir` storage pool. */
export class Pool extends resourceClass(poolDeclaration) {}
/** A storage volume: an uploaded image, an overlay on a base volume, or an empty disk. */
export class Volume extends resourceClass(volumeDeclaration) {}
/** A libvirt virtual network (NAT with DHCP by default), or an existing one by name. */
export class Network extends resourceClass(networkDeclaration) {}
/** A libvirt guest. */
export class Domain extends resourceClass(domainDeclaration) {}

export type PoolArgs = ResourceArgs<typeof Pool>;
export type VolumeArgs = ResourceArgs<typeof Volume>;
export type NetworkArgs = ResourceArgs<typeof Network>;
export type DomainArgs = ResourceArgs<typeof Domain>;
export type DomainDiskArgs = ObjectArgs<typeof domainDisk>;
export type DomainNicArgs = ObjectArgs<typeof domainNic>;
export type DomainBootArgs = ObjectArgs<typeof domainBoot>;
export type DomainFilesystemArgs = ObjectArgs<typeof domainFilesystem>;
/** Key and known_hosts for a qemu+ssh:// `uri` (user, host and port stay in the URI). */
export type LibvirtSshArgs = ObjectArgs<typeof libvirtSsh>;
