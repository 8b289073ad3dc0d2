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
import { volumeDeclaration } from "../libvirt/volume";
import type { ArgsOf } from "../schema/declare";
import { type ArgsFor, type ObjectArgs, resourceClass } from "./resource-class";

export type PoolArgs = ArgsFor<ArgsOf<typeof poolDeclaration>>;
/** A `dir` storage pool. */
export const Pool = resourceClass(poolDeclaration);
export type Pool = InstanceType<typeof Pool>;

export type VolumeArgs = ArgsFor<ArgsOf<typeof volumeDeclaration>>;
/** A storage volume: an uploaded image, an overlay on a base volume, or an empty disk. */
export const Volume = resourceClass(volumeDeclaration);
export type Volume = InstanceType<typeof Volume>;

export type NetworkArgs = ArgsFor<ArgsOf<typeof networkDeclaration>>;
/** A libvirt virtual network (NAT with DHCP by default), or an existing one by name. */
export const Network = resourceClass(networkDeclaration);
export type Network = InstanceType<typeof Network>;

export type DomainDiskArgs = ObjectArgs<typeof domainDisk>;
export type DomainNicArgs = ObjectArgs<typeof domainNic>;
export type DomainBootArgs = ObjectArgs<typeof domainBoot>;
export type DomainFilesystemArgs = ObjectArgs<typeof domainFilesystem>;
export type DomainArgs = ArgsFor<ArgsOf<typeof domainDeclaration>>;
/** A libvirt guest. */
export const Domain = resourceClass(domainDeclaration);
export type Domain = InstanceType<typeof Domain>;
