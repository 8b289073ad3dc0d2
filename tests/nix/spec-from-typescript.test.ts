// The spec's one validator seen from the Pulumi program: components/spec.ts runs nix/lib/spec.nix
// (and suites.nix) with the real nix-instantiate and turns each "<path>: <message>" line into a
// key path, so a bad spec fails in the program with the key named, before any resource exists.
import { nixlabSpec, parseProblem, specProblems, suiteProblems } from "../../components/spec";
import { ConfigError, validate } from "../../components/validate";

describe("the Nix validator's lines as key paths", () => {
  test.each<[string, (string | number)[], string]>([
    ['hostName: must be a host name, got "x y"', ["hostName"], 'must be a host name, got "x y"'],
    ["user.name: must be a user name", ["user", "name"], "must be a user name"],
    ["profiles[1]: must be one of …", ["profiles", 1], "must be one of …"],
    [
      'storage."/mnt/a: b".device: must be an absolute path',
      ["storage", "/mnt/a: b", "device"],
      "must be an absolute path",
    ],
    ['shares."/x\\"y".tag: required', ["shares", '/x"y', "tag"], "required"],
    ["suite.options.TEST_DEV: required (…)", ["suite", "options", "TEST_DEV"], "required (…)"],
    ["no path here", [], "no path here"],
  ])("%s", (line, path, message) => {
    expect(parseProblem(line)).toEqual({ path, message });
  });
});

describe("nixlabSpec: nix/lib/spec.nix, run from TypeScript", () => {
  test("a spec Nix accepts comes back as given", () => {
    const spec = {
      backend: "imageless",
      hostName: "vm",
      storage: { "/mnt/x/": { device: "/dev/vdb", fsType: "xfs" } },
    };
    expect(nixlabSpec.parse(spec)).toEqual(spec);
  });

  test("every problem, with its key path under the caller's name", () => {
    const bad = {
      backend: "libvirt",
      hostName: "-x",
      profiles: ["devel", "gui"],
      storage: {
        "/mnt/x": { device: "vdb", fsType: "xfs" },
        "/mnt/x/": { device: "/dev/vdc", fsType: "xfs" },
      },
      suite: { name: "fstests", options: { TIMEOUT: 3 } },
    };
    let problems: string[] = [];
    try {
      validate(nixlabSpec, bad, "guest.spec");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([
      'guest.spec.hostName: must be a host name (letters, digits, _ and -, not starting or ending with - or _, at most 63 characters), got "-x"',
      'guest.spec.profiles[1]: must be one of "devel", "build-tools", "monitoring", "controller", got "gui"',
      'guest.spec.storage["/mnt/x"].device: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got "vdb"',
      // What only Nix knows: /mnt/x and /mnt/x/ are one mount point once normalised.
      'guest.spec.storage["/mnt/x"]: same mount point as storage."/mnt/x/"',
      'guest.spec.suite.options.TIMEOUT: fstests has no option "TIMEOUT" (known: FSTYP, TEST_DEV, TEST_DIR, SCRATCH_DEV, SCRATCH_MNT, SCRATCH_DEV_POOL, LOGWRITES_DEV, MKFS_OPTIONS, MOUNT_OPTIONS, TEST_FS_MOUNT_OPTS, tests)',
    ]);
  });

  test("a value that is not an object is a problem of the whole spec", () => {
    expect(specProblems("imageless")).toEqual([{ path: [], message: 'expected an object, got "imageless"' }]);
  });

  test("a suite: by name and kind only, or with the rules between options", () => {
    const suite = { name: "blktests", options: { QUICK_RUN: true } };
    expect(suiteProblems(suite, false)).toEqual([]);
    expect(suiteProblems(suite, true)).toEqual([
      { path: ["options", "TIMEOUT"], message: "required with QUICK_RUN" },
    ]);
  });

  test("without Nix the spec cannot pass unchecked", () => {
    const saved = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      expect(specProblems({ backend: "imageless", hostName: "no-nix-here" })).toEqual([
        {
          path: [],
          message:
            "could not be checked by nix/lib/spec.nix: nix-instantiate is not on PATH (checking a spec needs Nix)",
        },
      ]);
    } finally {
      process.env.PATH = saved;
    }
  });
});
