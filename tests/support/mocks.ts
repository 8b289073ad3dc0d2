// Pulumi mocks shared by the component wiring tests (tests/components/wiring.test.ts,
// suite-run.test.ts, tests/hosts/lab-wiring.test.ts), so that they record registrations and fake
// provider outputs one way: the record of registrations, fake outputs per resource type, and a
// "built" imageless toplevel for nixlab:nix:Build to point at. setMocks keeps its state on the global
// object, which jest makes anew for each test file: one file's mocks never reach another's.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BootJson } from "../../components/boot-json";

/** A resource as the components registered it. */
export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** What a fake resource reports besides its inputs, from its inputs and name. */
export type FakeOutputs = (inputs: Record<string, unknown>, name: string) => Record<string, unknown>;

export interface MockedPulumi {
  /** Every registration since the start (or since the test emptied it), in order. */
  registered: Registered[];
  /** The registrations of one type token, e.g. "nixlab:libvirt:Domain". */
  byType(type: string): Registered[];
}

/**
 * Runs this file's Pulumi program against mocks of project "nixlab" and stack `stack`: each
 * resource is recorded, gets the id "<name>-id" and its inputs back as outputs, plus what
 * `outputs` gives for its type; a call answers with its inputs.
 */
export function mockPulumi(stack: string, outputs: Partial<Record<string, FakeOutputs>>): MockedPulumi {
  const registered: Registered[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const extra = outputs[args.type]?.(args.inputs, args.name) ?? {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
      },
      call: (args) => args.inputs,
    },
    "nixlab",
    stack,
    false,
  );
  return { registered, byType: (type) => registered.filter((r) => r.type === type) };
}

/** A libvirt volume's name output: the one asked for, else the provider's kind of generated name. */
export const volumeOutputs: FakeOutputs = (inputs, name) => ({ name: inputs.name ?? `base-${name}` });

/** boot.json of an imageless toplevel at `toplevel` in the demo fixture's shape, `fields` changed. */
export function fakeBootJson(toplevel: string, fields: Partial<BootJson> = {}): BootJson {
  return {
    version: 1,
    toplevel,
    init: `${toplevel}/init`,
    initrd: `${toplevel}/initrd`,
    kernelParams: ["root=tmpfs"],
    cmdline: `root=tmpfs init=${toplevel}/init`,
    systemName: "nixlab-demo",
    nixosVersion: "none",
    virtiofs: [
      { tag: "modules", mountPoint: "/lib/modules" },
      { tag: "store", mountPoint: "/nix/store" },
    ],
    ...fields,
  };
}

/** Makes the new folder `dir` a "built" imageless toplevel with `boot` as its boot.json; returns `dir`. */
export function fakeToplevel(dir: string, boot: BootJson = fakeBootJson(dir)): string {
  mkdirSync(dir);
  writeFileSync(path.join(dir, "boot.json"), JSON.stringify(boot));
  return dir;
}

/** An output's value (mocked outputs always resolve). */
export const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

/** Gives the registrations that follow a resolved output time to reach the mocks. */
export const settle = (ms = 50): Promise<unknown> => new Promise((r) => setTimeout(r, ms));
