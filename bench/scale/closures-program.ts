// The many-closures program of the scale benchmark: `count` Builds of the stand-in flake's
// distinct closures (packages.x86_64-linux.item0 …), as a lab with one closure per section has.
import * as pulumi from "@pulumi/pulumi";
import { Build } from "../../provider/sdk/nix";

const config = new pulumi.Config();
const flake = config.require("flake");
const count = config.requireNumber("count");
const gcRootDir = config.require("gcRootDir");

export const drvPaths = Array.from(
  { length: count },
  (_, i) =>
    new Build(`closure${i}`, { flake, attribute: `packages.x86_64-linux.item${i}`, gcRootDir }).drvPath,
);
