// The stack configuration schema: a table of bad configs with the exact messages, and every
// committed Pulumi.<stack>.yaml valid.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { labConfig } from "../../components/lab-config";
import { parseLibvirtUri } from "../../components/libvirt-uri";
import { ConfigError, validate } from "../../components/validate";
import { repoRoot } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const demoGuest = { name: "g", backend: "imageless", closure: { demoFixture: true } };
const specGuest = (backend: string, spec: object, extra: object = {}) => ({
  name: "s",
  backend,
  closure: { spec },
  ...extra,
});
/** A structurally whole ed25519 public key (not anyone's). */
const edKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab you@host";
const spec = (s: object) => ({ guests: [specGuest("imageless", s)] });
const lab = (g: object) => ({ guests: [{ ...demoGuest, ...g }] });

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
        'nixlab:lab.guests[0].closure.spec.storage["/nix/store"].device: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got "vdb"',
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
    // libvirt connection URIs: our message, naming the key, before virsh sees them.
    [
      "an ssh URI without a host",
      { uri: "qemu+ssh:///system", guests: [demoGuest] },
      ["nixlab:lab.uri: qemu+ssh:// needs a host, as in qemu+ssh://root@host/system"],
    ],
    [
      "a URI that is no URI",
      { uri: "qemu:/system", guests: [demoGuest] },
      ["nixlab:lab.uri: must be a libvirt URI such as qemu:///system or qemu+ssh://root@host/system"],
    ],
    [
      "a URI with blanks",
      { uri: "qemu:///system ", guests: [demoGuest] },
      ["nixlab:lab.uri: must be a libvirt URI such as qemu:///system or qemu+ssh://root@host/system"],
    ],
    [
      "another hypervisor",
      { uri: "xen:///system", guests: [demoGuest] },
      [
        "nixlab:lab.uri: must start with qemu (not xen): nixlab runs QEMU guests, as in qemu:///system or qemu+ssh://root@host/system",
      ],
    ],
    [
      "an unknown transport",
      { uri: "qemu+telnet://h/system", guests: [demoGuest] },
      ["nixlab:lab.uri: unknown transport +telnet: use one of +unix +ext +ssh +libssh +libssh2 +tcp +tls"],
    ],
    [
      "a wrong path and a bad port",
      { uri: "qemu+ssh://h:22/sys", guests: [demoGuest] },
      [
        "nixlab:lab.uri: the path must be /system or /session, as in qemu:///system or qemu+ssh://root@host/system",
      ],
    ],
    [
      "a port that is no number",
      { uri: "qemu+ssh://h:ssh/system", guests: [demoGuest] },
      ["nixlab:lab.uri: the port after the host must be a number"],
    ],
    // ssh keys: public keys only; nothing of the value is quoted back.
    [
      "a key that is no key",
      { sshKeys: ["hello"], ...spec({}) },
      [
        "nixlab:lab.sshKeys[0]: must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
      ],
    ],
    [
      "a truncated key",
      { sshKeys: [edKey.slice(0, 60)], ...spec({}) },
      [
        "nixlab:lab.sshKeys[0]: must be an OpenSSH public key line: its base64 part is not a whole ssh-ed25519 key",
      ],
    ],
    [
      "a key of another type than it says",
      { sshKeys: [edKey.replace("ssh-ed25519", "ssh-rsa")], ...spec({}) },
      ["nixlab:lab.sshKeys[0]: must be an OpenSSH public key line: its base64 part is not a ssh-rsa key"],
    ],
    [
      "a second authorized_keys line smuggled in",
      { sshKeys: [`${edKey}\n${edKey}`], ...spec({}) },
      ["nixlab:lab.sshKeys[0]: must be one line without control characters"],
    ],
    [
      "keys in the spec, for root and the user",
      spec({ sshKeys: ["x"], user: { sshKeys: [edKey, ""] } }),
      [
        "nixlab:lab.guests[0].closure.spec.user.sshKeys[1]: must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
        "nixlab:lab.guests[0].closure.spec.sshKeys[0]: must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
      ],
    ],
    // kernel parameters
    [
      "kernel parameters with a newline or a control character",
      lab({ extraKernelParams: ["a\nb", 'x="1\n2"', "c\u0007", "two words"] }),
      [
        "nixlab:lab.guests[0].extraKernelParams[0]: must not contain newlines or control characters",
        "nixlab:lab.guests[0].extraKernelParams[1]: must not contain newlines or control characters",
        "nixlab:lab.guests[0].extraKernelParams[2]: must not contain newlines or control characters",
        'nixlab:lab.guests[0].extraKernelParams[3]: must be one kernel parameter (quote blanks: name="a b"), got "two words"',
      ],
    ],
    [
      "a spec kernel parameter with a newline inside quotes",
      spec({ kernelParams: ['dyndbg="file x.c\n+p"'] }),
      ["nixlab:lab.guests[0].closure.spec.kernelParams[0]: must not contain newlines or control characters"],
    ],
    // storage: mount points named by key, devices under /dev
    [
      "storage mount points that are not full paths",
      spec({
        storage: {
          "media/test": { device: "/dev/vdb", fsType: "xfs" },
          "/a/../b": { device: "/dev/vdc", fsType: "xfs" },
        },
      }),
      [
        'nixlab:lab.guests[0].closure.spec.storage["/a/../b"]: the mount point must not contain "..", got "/a/../b"',
        'nixlab:lab.guests[0].closure.spec.storage["media/test"]: the mount point must be an absolute path (starting with /), got "media/test"',
      ],
    ],
    [
      "a share mount point that is not printable ASCII",
      {
        guests: [
          specGuest("imageless", { shares: { "/mnt/tést": { tag: "t" } } }, { shares: { t: "/srv" } }),
        ],
      },
      [
        'nixlab:lab.guests[0].closure.spec.shares["/mnt/tést"]: the mount point must be printable ASCII, got "/mnt/tést"',
      ],
    ],
    [
      "devices outside /dev",
      spec({
        storage: {
          "/t": { device: "/tmp/disk.img", fsType: "xfs" },
          "/u": { device: "/dev/../tmp/x", fsType: "xfs" },
        },
      }),
      [
        'nixlab:lab.guests[0].closure.spec.storage["/t"].device: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got "/tmp/disk.img"',
        'nixlab:lab.guests[0].closure.spec.storage["/u"].device: must not contain "..", got "/dev/../tmp/x"',
      ],
    ],
    // virtiofs share tags
    [
      "share tags: blanks, too long, twice, the backend's own",
      {
        guests: [
          specGuest(
            "imageless",
            {
              shares: {
                "/a": { tag: "my src" },
                "/b": { tag: "x".repeat(37) },
                "/c": { tag: "src" },
                "/d": { tag: "src" },
                "/e": { tag: "store" },
              },
            },
            { shares: { src: "/srv/src" } },
          ),
        ],
      },
      [
        'nixlab:lab.guests[0].closure.spec.shares["/a"].tag: must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces), got "my src"',
        'nixlab:lab.guests[0].closure.spec.shares["/b"].tag: must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces), got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
        'nixlab:lab.guests[0].closure.spec.shares["/d"].tag: src is used twice',
        'nixlab:lab.guests[0].closure.spec.shares["/e"].tag: store is the imageless backend\'s own share',
      ],
    ],
    [
      "share folders: a bad tag, the backend's own tag, none for the demo fixture",
      lab({ shares: { "a b": "/x", modules: "/y" } }),
      [
        'nixlab:lab.guests[0].shares["a b"]: must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces), got "a b"',
      ],
    ],
    [
      "share folders the demo fixture does not mount",
      lab({ shares: { modules: "/y", src: "/z" } }),
      [
        "nixlab:lab.guests[0].shares.modules: modules is the imageless backend's own share",
        "nixlab:lab.guests[0].shares: the demo fixture mounts no shares",
      ],
    ],
    [
      "a spec's tags against the guest's folders",
      {
        guests: [
          specGuest(
            "imageless",
            { shares: { "/src/linux": { tag: "linux" } } },
            { shares: { linx: "/home/u/linux" } },
          ),
        ],
      },
      [
        'nixlab:lab.guests[0].shares: has no host folder for tag linux (closure.spec.shares["/src/linux"])',
        "nixlab:lab.guests[0].shares.linx: no mount in closure.spec.shares uses this tag",
      ],
    ],
    // fields that do not apply to the backend
    [
      "imageless-only fields on a libvirt guest",
      {
        guests: [
          specGuest(
            "libvirt",
            { shares: { "/s": { tag: "s" } } },
            { shares: { s: "/srv" }, extraKernelParams: ["quiet"] },
          ),
        ],
      },
      [
        "nixlab:lab.guests[0].shares: only applies to imageless guests",
        "nixlab:lab.guests[0].extraKernelParams: only applies to imageless guests",
        "nixlab:lab.guests[0].closure.spec.shares: only applies to imageless guests (libvirt guests get no virtiofs shares)",
      ],
    ],
    [
      "diskSize on an imageless guest",
      lab({ diskSize: "20G" }),
      ["nixlab:lab.guests[0].diskSize: only applies to libvirt guests"],
    ],
    [
      "lab keys that no guest uses",
      {
        pool: { name: "p" },
        nixpkgs: "github:NixOS/nixpkgs",
        nixlab: "path:/x",
        sshKeys: [edKey],
        guests: [{ name: "own", backend: "imageless", closure: { flake: "path:/x", attribute: "a" } }],
      },
      [
        "nixlab:lab.nixlab: only applies to guests with a { spec } closure",
        "nixlab:lab.nixpkgs: only applies to guests with a { spec } closure",
        "nixlab:lab.sshKeys: only applies to guests with a { spec } closure or the demo fixture",
        "nixlab:lab.pool: no guest uses a pool (libvirt guests and guests with drives do)",
      ],
    ],
    [
      "drives with the same name or serial",
      lab({
        drives: [
          { name: "a", size: "1G" },
          { name: "a", size: "1G", serial: "b" },
          { name: "b", size: "1G" },
        ],
      }),
      [
        "nixlab:lab.guests[0].drives[1].name: a is already drives[0]'s name",
        "nixlab:lab.guests[0].drives[2].serial: b is already drives[1]'s serial",
      ],
    ],
  ])("%s", (_what, config, expected) => {
    expect(messages(config)).toEqual(expected);
  });

  test.each([
    "qemu:///system",
    "qemu:///session",
    "qemu+unix:///system",
    "qemu+ssh://root@host.example:2222/system?keyfile=%2Froot%2F.ssh%2Fid_ed25519",
    "qemu+tls://10.0.0.2/system",
  ])("%s is a usable URI", (uri) => {
    expect(messages({ uri, guests: [demoGuest] })).toEqual([]);
  });
  test("local and remote URIs", () => {
    expect(parseLibvirtUri("qemu:///system")).toEqual({ path: "/system", local: true });
    expect(parseLibvirtUri("qemu+ssh://root@h:2222/system")).toEqual({
      transport: "ssh",
      user: "root",
      host: "h",
      port: 2222,
      path: "/system",
      local: false,
    });
  });

  test("public keys that ssh-keygen makes pass, with authorized_keys options too", () => {
    const dir = makeWorkDir("keys");
    try {
      const keys = ["ed25519", "rsa", "ecdsa"].map((t) => {
        const file = path.join(dir, t);
        execFileSync("ssh-keygen", ["-q", "-t", t, "-N", "", "-C", `me@${t}`, "-f", file]);
        return readFileSync(`${file}.pub`, "utf8").trim();
      });
      const withOptions = `restrict,from="10.0.0.0/8",command="echo \\"hi\\"" ${keys[0]}`;
      // a comment that reads as base64 must not be taken for the key
      const base64Comment = `${edKey.split(" ").slice(0, 2).join(" ")} lab`;
      expect(
        messages({ sshKeys: [...keys, withOptions, base64Comment], ...spec({ sshKeys: keys }) }),
      ).toEqual([]);
    } finally {
      removeWorkDir(dir);
    }
  });

  test("a pasted private key is refused without quoting it back", () => {
    const dir = makeWorkDir("keys");
    try {
      const file = path.join(dir, "id");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
      execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-m", "PEM", "-N", "", "-f", `${file}-pem`]);
      const openssh = readFileSync(file, "utf8");
      const pem = readFileSync(`${file}-pem`, "utf8");
      // the body alone, without the BEGIN/END lines, as a careless copy might give it
      const body = openssh.split("\n").slice(1, -2).join("");
      const refused =
        "is a private key, refused: put its public half here (`ssh-keygen -y -f KEYFILE` prints it) and remove the private key from the stack config";
      const got = messages({ sshKeys: [openssh, pem, body], ...spec({ user: { sshKeys: [openssh] } }) });
      expect(got).toEqual([
        `nixlab:lab.sshKeys[0]: ${refused}`,
        `nixlab:lab.sshKeys[1]: ${refused}`,
        `nixlab:lab.sshKeys[2]: ${refused}`,
        `nixlab:lab.guests[0].closure.spec.user.sshKeys[0]: ${refused}`,
      ]);
      const secret = openssh.split("\n")[2] ?? "";
      expect(secret.length).toBeGreaterThan(20);
      expect(got.join("\n")).not.toContain(secret);
    } finally {
      removeWorkDir(dir);
    }
  });

  test("defaults", () => {
    const cfg = validate(labConfig, { guests: [demoGuest] }, "nixlab:lab");
    expect(cfg).toMatchObject({
      uri: "qemu:///system",
      network: { name: "default" },
      // Per stack (outside the engine, Pulumi's stack name is "stack"): tests/hosts/hosts-config.test.ts.
      pool: { name: "nixlab-stack", path: "/var/lib/nixlab/pools/stack", existing: false },
      guests: [{ name: "g", count: 1, vcpus: 2, memoryMiB: 2048, drives: [], shares: {} }],
    });
  });

  // The committed stack templates (a user's own stacks live in git-ignored stacks/).
  const templates = path.join(repoRoot, "stack-templates");
  const stacks = readdirSync(templates).filter((f) => f.endsWith(".yaml"));
  test("the repository ships the per-suite stack templates", () => {
    expect(stacks.sort()).toEqual([
      "blktests.yaml",
      "demo.yaml",
      "fstests-xfs.yaml",
      "nfs.yaml",
      "nixos.yaml",
      "selftests.yaml",
    ]);
  });
  test.each(stacks)("%s is a valid lab", async (file) => {
    const yaml = await import("js-yaml");
    const doc = yaml.load(readFileSync(path.join(templates, file), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(() => validate(labConfig, doc.config["nixlab:lab"], "nixlab:lab")).not.toThrow();
  });
});
