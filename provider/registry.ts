// Every resource type the nixlab provider serves, by domain.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { activationResource } from "./host/activation";
import { suiteRunResource } from "./host/suite-run";
import { libvirtDefinitions } from "./libvirt";
import { addPathResource } from "./nix/add-path";
import { buildResource } from "./nix/build";
import { copyResource } from "./nix/copy";
import type { AnyResourceDefinition } from "./resource";

function packageVersion(): string {
  // dist/provider/registry.js and provider/registry.ts are both two levels below the root.
  for (const up of ["../..", ".."]) {
    try {
      return (
        JSON.parse(readFileSync(path.join(__dirname, up, "package.json"), "utf8")) as { version: string }
      ).version;
    } catch {
      // try the next candidate
    }
  }
  return "0.0.0";
}

export const providerVersion = packageVersion();

export const definitions: AnyResourceDefinition[] = [
  // nix
  buildResource,
  copyResource,
  addPathResource,
  // host
  activationResource,
  suiteRunResource,
  // libvirt
  ...libvirtDefinitions,
];
