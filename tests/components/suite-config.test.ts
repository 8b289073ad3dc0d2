// A guest's test suite: its options checked by name and kind by the one table of them
// (nix/lib/suites.nix, run by components/suite-config.ts before any resource), the fstests settings
// derived from the guest's drives and storage, and the spec nixlab builds from it, accepted and
// rendered by the real nix (nix/lib/spec.nix, nix/lib/suites.nix).
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { closureSource } from "../../components/lab";
import { type LabConfig, labConfig } from "../../components/lab-config";
import { nixlabSpec } from "../../components/spec";
import { rejectSuiteSettings, specSuite } from "../../components/suite-config";
import { ConfigError, validate } from "../../components/validate";
import { nixEval } from "../nix/nix-eval";
import { repoRoot } from "../support/paths";

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};
const lab = (config: unknown) => validate(labConfig, config, "nixlab:lab");
const specGuest = (suite: unknown, extra: Record<string, unknown> = {}) => ({
  name: "g",
  backend: "imageless",
  suite,
  closure: { spec: {} },
  ...extra,
});

describe("a guest's suite in the stack config", () => {
  test.each<[string, unknown, string[]]>([
    [
      "an option the suite does not know is an error naming the key",
      { name: "selftests", options: { TARGETS: "net", TARGET: "mm" } },
      [
        'nixlab:lab.guests[0].suite.options.TARGET: selftests has no option "TARGET" (known: TARGETS, kernelTree)',
      ],
    ],
    [
      "values of the wrong kind",
      { name: "blktests", options: { TEST_DEVS: "vdb", QUICK_RUN: "yes", TIMEOUT: 0 } },
      [
        'nixlab:lab.guests[0].suite.options.TEST_DEVS: must be absolute paths separated by spaces, got "vdb"',
        'nixlab:lab.guests[0].suite.options.QUICK_RUN: must be a boolean, got "yes"',
        "nixlab:lab.guests[0].suite.options.TIMEOUT: must be a positive whole number, got 0",
      ],
    ],
    [
      "a section is fstests' only",
      { name: "ltp", section: "x" },
      ["nixlab:lab.guests[0].suite.section: only fstests has sections"],
    ],
    [
      "an fstests value its config parser cannot carry, and a bad section name",
      { name: "fstests", section: "xfs crc", options: { MKFS_OPTIONS: "-m crc=1 # comment" } },
      [
        'nixlab:lab.guests[0].suite.section: must be a section name of letters, digits, _ and -, got "xfs crc"',
        'nixlab:lab.guests[0].suite.options.MKFS_OPTIONS: must be text without quotes, #, $, `, \\ or line breaks, got "-m crc=1 # comment"',
      ],
    ],
    [
      "an unknown field",
      { name: "ltp", args: [] },
      ["nixlab:lab.guests[0].suite.args: unknown field (known fields: name, section, options)"],
    ],
    [
      "an unknown suite",
      { name: "xfstests" },
      [
        'nixlab:lab.guests[0].suite.name: must be one of "blktests", "fstests", "ltp", "mmtests", "nfstest", "pynfs", "selftests", got "xfstests"',
      ],
    ],
  ])("%s", (_what, suite, expected) => {
    expect(problems(() => lab({ guests: [specGuest(suite)] }))).toEqual(expected);
  });

  test("options a suite requires may be left to the guest (checked when its spec is made)", () => {
    expect(problems(() => lab({ guests: [specGuest({ name: "fstests" })] }))).toEqual([]);
  });
});

describe("fstests settings from the guest's drives and storage", () => {
  const fstestsGuest = (
    suite: Record<string, unknown>,
    spec: Record<string, unknown>,
    drives: unknown[] = [],
  ) =>
    lab({
      guests: [
        {
          name: "xfs",
          backend: "imageless",
          drives,
          suite: { name: "fstests", ...suite },
          closure: { spec },
        },
      ],
    });
  const drives = [
    { name: "test", size: "20G", serial: "fstests-test" },
    { name: "scratch", size: "20G", serial: "fstests-scratch" },
  ];
  const storage = {
    "/media/test": {
      device: "/dev/disk/by-id/virtio-fstests-test",
      fsType: "xfs",
      mkfsArgs: ["-f", "-m", "crc=1"],
      options: ["noatime", "inode64"],
    },
  };
  const derived = (cfg: LabConfig) => {
    const g = cfg.guests[0];
    if (!g || !("spec" in g.closure)) throw new Error("no spec guest");
    return specSuite(
      g,
      g.closure.spec.storage as Record<string, object> | undefined,
      "nixlab:lab.guests[0].suite",
    );
  };

  test("test device: the storage entry at /media/test; scratch: the virtio drive named scratch", () => {
    expect(derived(fstestsGuest({ section: "xfs_crc" }, { storage }, drives))).toEqual({
      name: "fstests",
      section: "xfs_crc",
      options: {
        TEST_DIR: "/media/test",
        TEST_DEV: "/dev/disk/by-id/virtio-fstests-test",
        FSTYP: "xfs",
        MKFS_OPTIONS: "-f -m crc=1",
        MOUNT_OPTIONS: "-o noatime,inode64",
        SCRATCH_DEV: "/dev/disk/by-id/virtio-fstests-scratch",
        SCRATCH_MNT: "/media/scratch",
      },
    });
  });

  test("the stack's options win; a single storage entry is the test device wherever it is mounted", () => {
    const only = { "/mnt/t": { device: "/dev/vdb", fsType: "ext4" } };
    expect(
      derived(
        fstestsGuest(
          { options: { FSTYP: "ext4", SCRATCH_MNT: "/mnt/s", tests: "-g auto" } },
          { storage: only },
          drives,
        ),
      ),
    ).toEqual({
      name: "fstests",
      section: null,
      options: {
        FSTYP: "ext4",
        SCRATCH_MNT: "/mnt/s",
        tests: "-g auto",
        TEST_DIR: "/mnt/t",
        TEST_DEV: "/dev/vdb",
        SCRATCH_DEV: "/dev/disk/by-id/virtio-fstests-scratch",
      },
    });
  });

  test("an NVMe scratch drive is not guessed (its by-id name is the controller's): no scratch", () => {
    const nvme = [{ name: "scratch", size: "20G", bus: "nvme" }];
    expect(derived(fstestsGuest({}, { storage }, nvme))?.options.SCRATCH_DEV).toBeUndefined();
  });

  test("no test device to be found: what is required, named", () => {
    expect(problems(() => derived(fstestsGuest({}, {}, drives)))).toEqual([
      "nixlab:lab.guests[0].suite.options.TEST_DEV: required (the device fstests keeps mounted at TEST_DIR)",
      "nixlab:lab.guests[0].suite.options.TEST_DIR: required (where TEST_DEV is mounted)",
    ]);
  });
});

describe("suites and closures", () => {
  test("a Lab fails on a suite its guest cannot complete before any resource (closureSource)", () => {
    const cfg = lab({ guests: [specGuest({ name: "pynfs" })] });
    expect(problems(() => closureSource(cfg.guests[0] as LabConfig["guests"][number], cfg))).toEqual([
      "nixlab:lab.guests[0].suite.options.server: required (the NFS server under test)",
    ]);
  });

  test("suite settings on a flake closure are rejected: they would have no effect", () => {
    const cfg = lab({
      guests: [
        specGuest(
          { name: "fstests", section: "xfs", options: { TEST_DEV: "/dev/vdb" } },
          { closure: { flake: "path:/srv/lab", attribute: "x" } },
        ),
      ],
    });
    const g = cfg.guests[0] as LabConfig["guests"][number];
    expect(problems(() => rejectSuiteSettings(g, "nixlab:lab.guests[0].suite"))).toEqual([
      "nixlab:lab.guests[0].suite.section: suite settings are generated into spec-built guests only (closure.spec); configure a flake's suite in the flake",
      "nixlab:lab.guests[0].suite.options: suite settings are generated into spec-built guests only (closure.spec); configure a flake's suite in the flake",
    ]);
    expect(problems(() => closureSource(g, cfg))).toHaveLength(2);
  });

  test("the spec rejects aarch64-linux with the libvirt backend, and a suite lacking what it requires", () => {
    const r = nixlabSpec.safeParse({
      backend: "libvirt",
      system: "aarch64-linux",
      suite: { name: "mmtests", options: {} },
    });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "system: the libvirt backend boots with BIOS GRUB, which aarch64-linux has not; use the imageless backend for aarch64-linux guests",
      "suite.options.config: required (an mmtests configuration, e.g. configs/config-workload-stream)",
    ]);
  });
});

describe("every committed stack's spec guests", () => {
  const templates = path.join(repoRoot, "stack-templates");
  const stacks = readdirSync(templates).filter((f) => f.endsWith(".yaml"));
  const specs: [string, string, unknown][] = [];
  beforeAll(async () => {
    const yaml = await import("js-yaml");
    for (const file of stacks) {
      const doc = yaml.load(readFileSync(path.join(templates, file), "utf8")) as {
        config: Record<string, unknown>;
      };
      const cfg = lab(doc.config["nixlab:lab"]);
      for (const g of cfg.guests) {
        if (!("spec" in g.closure)) continue;
        const source = closureSource(g, cfg) as { spec: unknown };
        specs.push([file, g.name, JSON.parse(JSON.stringify(nixlabSpec.parse(source.spec)))]);
      }
    }
  });

  test("make a spec the real nix accepts (suite included)", async () => {
    expect(specs.length).toBeGreaterThanOrEqual(6);
    for (const [file, guest, spec] of specs) {
      const errors = await nixEval<string[]>("s: (nixlab.spec.check s).errors", spec);
      expect({ file, guest, errors }).toEqual({ file, guest, errors: [] });
    }
  });

  test("stack-templates/fstests-xfs.yaml: the local.config each section gets, as nix renders it", async () => {
    const configs: Record<string, string> = {};
    for (const [file, guest, spec] of specs) {
      if (file !== "fstests-xfs.yaml") continue;
      configs[guest] = await nixEval<string>(
        's: let n = nixlab.spec.normalise s; in nixlab.suites.fstestsConfig { suite = n.suite; resultsDir = "/var/lib/nixlab/results/fstests"; }',
        spec,
      );
    }
    const config = (section: string, mkfs: string) =>
      [
        "# fstests configuration generated by nixlab from the guest's suite settings.",
        `[${section}]`,
        'FSTYP="xfs"',
        'TEST_DEV="/dev/disk/by-id/virtio-fstests-test"',
        'TEST_DIR="/media/test"',
        'SCRATCH_DEV="/dev/disk/by-id/virtio-fstests-scratch"',
        'SCRATCH_MNT="/media/scratch"',
        `MKFS_OPTIONS="${mkfs}"`,
        'RESULT_BASE="/var/lib/nixlab/results/fstests"',
        "",
      ].join("\n");
    expect(configs).toEqual({
      "xfs-crc": config("xfs_crc", "-f -m crc=1"),
      "xfs-reflink": config("xfs_reflink", "-f -m reflink=1,rmapbt=1"),
    });
  });

  test("stack-templates/nixos.yaml: one imageless NixOS guest from the spec, booting the flake's own kernel", async () => {
    const yaml = await import("js-yaml");
    const doc = yaml.load(readFileSync(path.join(repoRoot, "stack-templates", "nixos.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const cfg = lab(doc.config["nixlab:lab"]);
    expect(cfg.guests).toHaveLength(1);
    expect(cfg.guests[0]).toMatchObject({
      backend: "imageless",
      kernel: { flake: "./nix", attribute: "packages.x86_64-linux.kernel" },
      closure: { spec: {} },
    });
    expect(readFileSync(path.join(repoRoot, "stack-templates", "nixos.yaml"), "utf8")).not.toMatch(
      /\/home\/|you@|Replace/,
    );
  });
});
