// The stack configuration schema: a table of bad configs with the exact messages, and every
// committed Pulumi.<stack>.yaml valid.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { labConfig } from "../../components/lab-config";
import { ConfigError, validate } from "../../components/validate";
import { repoRoot } from "../support/paths";

const demoGuest = { name: "g", backend: "imageless", closure: { demoFixture: true } };

const messages = (config: unknown): string[] => {
  try {
    validate(labConfig, config, "nixlab:lab");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe("nixlab:lab config", () => {
  test.each<[string, unknown, string[]]>([
    ["no guests", { guests: [] }, ["nixlab:lab.guests: must list at least one guest"]],
    [
      "unknown key and bad name",
      { guests: [{ ...demoGuest, name: "Bad_Name", colour: "red" }] },
      [
        "nixlab:lab.guests[0].name: must be lower-case letters, digits and dashes",
        'nixlab:lab.guests[0]: Unrecognized key: "colour"',
      ],
    ],
    [
      "sizes and memory",
      { guests: [{ ...demoGuest, memoryMiB: 64, drives: [{ name: "scratch", size: "20 gigs" }] }] },
      [
        "nixlab:lab.guests[0].memoryMiB: must be at least 128",
        'nixlab:lab.guests[0].drives[0].size: must be bytes or a size such as "20G"',
      ],
    ],
    [
      "backend-specific keys",
      {
        guests: [
          { name: "l", backend: "libvirt", kernel: { hostCache: true }, closure: { demoFixture: true } },
        ],
      },
      [
        "nixlab:lab.guests[0].kernel: only applies to imageless guests (libvirt guests boot their image's kernel)",
        "nixlab:lab.guests[0].closure: the demo fixture is an imageless system",
      ],
    ],
    [
      "a spec checked against the nixlab spec, with the guest's backend",
      {
        guests: [
          {
            name: "s",
            backend: "imageless",
            closure: {
              spec: {
                profiles: ["devel", "gaming"],
                storage: {
                  "/nix/store": { device: "vdb", fsType: "xfs", mkfsArgs: ["-f"], autoFormat: true },
                },
              },
            },
          },
        ],
      },
      [
        'nixlab:lab.guests[0].closure.spec.profiles[1]: must be one of "devel", "build-tools", "monitoring", "controller", got "gaming"',
        'nixlab:lab.guests[0].closure.spec.storage["/nix/store"].device: must be an absolute path (starting with /), got "vdb"',
        'nixlab:lab.guests[0].closure.spec.storage["/nix/store"]: mkfsArgs and autoFormat cannot be used together (autoFormat formats through systemd-makefs, which takes no mkfs arguments)',
        'nixlab:lab.guests[0].closure.spec.storage["/nix/store"]: /nix/store is used by the imageless backend itself',
      ],
    ],
    [
      "a mount point the backend uses itself",
      {
        guests: [
          {
            name: "s",
            backend: "imageless",
            closure: { spec: { storage: { "/lib/modules": { device: "/dev/vdb", fsType: "xfs" } } } },
          },
        ],
      },
      [
        'nixlab:lab.guests[0].closure.spec.storage["/lib/modules"]: /lib/modules is used by the imageless backend itself',
      ],
    ],
    [
      "duplicate guest names after count expansion",
      {
        guests: [
          { ...demoGuest, name: "t", count: 2 },
          { ...demoGuest, name: "t-1" },
        ],
      },
      ["nixlab:lab.guests: guest name t-1 is used twice"],
    ],
    [
      "closure of no known kind",
      { guests: [{ ...demoGuest, closure: { url: "x" } }] },
      [
        "nixlab:lab.guests[0].closure: must be one of { flake, attribute }, { spec } or { demoFixture: true }",
      ],
    ],
  ])("%s", (_what, config, expected) => {
    expect(messages(config)).toEqual(expected);
  });

  test("defaults", () => {
    const cfg = validate(labConfig, { guests: [demoGuest] }, "nixlab:lab");
    expect(cfg).toMatchObject({
      uri: "qemu:///system",
      network: { name: "default" },
      pool: { name: "nixlab", path: "/var/lib/nixlab/pool" },
      guests: [{ name: "g", count: 1, vcpus: 2, memoryMiB: 2048, drives: [], shares: {} }],
    });
  });

  const stacks = readdirSync(repoRoot).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
  test("the repository ships the per-suite stacks", () => {
    expect(stacks.sort()).toEqual([
      "Pulumi.blktests.yaml",
      "Pulumi.demo.yaml",
      "Pulumi.fstests-xfs.yaml",
      "Pulumi.nfs.yaml",
      "Pulumi.nixos.yaml",
      "Pulumi.selftests.yaml",
    ]);
  });
  test.each(stacks)("%s is a valid lab", async (file) => {
    const yaml = await import("js-yaml");
    const doc = yaml.load(readFileSync(path.join(repoRoot, file), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(() => validate(labConfig, doc.config["nixlab:lab"], "nixlab:lab")).not.toThrow();
  });
});
