// nixlab's component library: what a test bed is made of.
export { type BootJson, bootJson, readBootJson } from "./boot-json";
export { ControllerHost, type ControllerHostArgs, libvirtUriFor } from "./controller-host";
export type { DriveArgs } from "./drives";
export { ImagelessGuest, type ImagelessGuestArgs } from "./imageless-guest";
export type { KernelSource } from "./kernel";
export { Lab } from "./lab";
export { type LabConfig, labConfig } from "./lab-config";
export { LibvirtGuest, type LibvirtGuestArgs } from "./libvirt-guest";
export { type FlakeSource, NixosClosure, type NixosClosureArgs, type SpecSource } from "./nixos-closure";
export { Qcow2Image, type Qcow2ImageArgs } from "./qcow2-image";
export { renderRunScript } from "./run-script";
export { type NixlabSpec, type NixlabSpecInput, nixlabSpec } from "./spec";
export { ConfigError, validate } from "./validate";
