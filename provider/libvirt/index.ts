// The libvirt resources of the nixlab provider.
import type { AnyResourceDefinition } from "../resource";
import { domainDefinition } from "./domain";
import { networkDefinition } from "./network";
import { poolDefinition } from "./pool";
import { volumeDefinition } from "./volume";

export const libvirtDefinitions: AnyResourceDefinition[] = [
  poolDefinition,
  volumeDefinition,
  networkDefinition,
  domainDefinition,
];
