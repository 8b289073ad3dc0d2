import { existsSync, readFileSync, statSync } from "node:fs";
// Pure parts of the libvirt layer: sizes, URIs, virsh/qemu-img arguments, content-addressed
// names, host facts, zod schemas (failures name the field).

import type { Runner } from "../../provider/exec";
import { domainInputs } from "../../provider/libvirt/domain";
import { kvmUsable, qemuIdentity, unreadableReason } from "../../provider/libvirt/host";
import { networkInputs } from "../../provider/libvirt/network";
import { parseVolList, poolInputs } from "../../provider/libvirt/pool";
import { parseImageInfo, qemuImgInfoArgs } from "../../provider/libvirt/qemu-img";
import { libvirtBytes, parseSize } from "../../provider/libvirt/units";
import {
  isAlreadyDone,
  isLocalUri,
  isNotFound,
  isTransient,
  parseInfo,
  Virsh,
  virshArgs,
} from "../../provider/libvirt/virsh";
import { digestVolumeName, storeVolumeName, volumeInputs } from "../../provider/libvirt/volume";
import { zodFailures } from "../../provider/resource";

const failures = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, v: unknown) => {
  const r = schema.safeParse(v);
  return r.success ? [] : zodFailures(r.error as Parameters<typeof zodFailures>[0]);
};

describe("sizes", () => {
  test.each([
    ["10G", 10 * 1024 ** 3],
    ["10GiB", 10 * 1024 ** 3],
    ["512M", 512 * 1024 ** 2],
    ["1.5G", 1.5 * 1024 ** 3],
    ["4096", 4096],
    [4096, 4096],
    ["2 GB", 2e9],
    ["1t", 1024 ** 4],
  ])("%p is %p bytes", (input, bytes) => expect(parseSize(input)).toBe(bytes));
  test.each([["12 bananas"], ["-1G"], [""], ["G"], [0], [-5], [1.5], ["1e9"]])("%p is refused", (input) =>
    expect(parseSize(input)).toBeUndefined());
  test("libvirt scaled integers", () => {
    expect(libvirtBytes("524288", "KiB")).toBe(512 * 1024 ** 2);
    expect(libvirtBytes("67108864", "bytes")).toBe(64 * 1024 ** 2);
    expect(libvirtBytes("2", undefined, "G")).toBe(2 * 1024 ** 3);
  });
});

describe("virsh", () => {
  test("URIs: local ones have no host part; remote ones pass through unchanged", () => {
    expect(isLocalUri("qemu:///system")).toBe(true);
    expect(isLocalUri("test:///default")).toBe(true);
    expect(isLocalUri("qemu+ssh://root@controller/system")).toBe(false);
    expect(virshArgs("qemu+ssh://u@h:2222/system?keyfile=/k", ["dumpxml", "x"])).toEqual([
      "-q",
      "-c",
      "qemu+ssh://u@h:2222/system?keyfile=/k",
      "dumpxml",
      "x",
    ]);
  });

  test("every call is an argument array with the URI; XML goes through a private file", async () => {
    const calls: { args: readonly string[]; xml: string; mode: number }[] = [];
    const fake: Runner = async (cmd, args) => {
      const file = args.find((a) => a.endsWith("object.xml")) ?? "";
      calls.push({
        args: [cmd, ...args],
        xml: readFileSync(file, "utf8"),
        mode: statSync(file).mode & 0o777,
      });
      return { exitCode: 0, stdout: "", stderr: "" };
    };
    const v = new Virsh(fake, "qemu+ssh://admin@ctl/system");
    await v.withXml("define", "<domain/>");
    await v.withXml("vol-create", "<volume/>", ["pool a"]);
    expect(calls.map((c) => [...c.args.slice(0, -1), c.xml, c.mode])).toEqual([
      ["virsh", "-q", "-c", "qemu+ssh://admin@ctl/system", "define", "<domain/>", 0o600],
      ["virsh", "-q", "-c", "qemu+ssh://admin@ctl/system", "vol-create", "pool a", "<volume/>", 0o600],
    ]);
    // The file is gone afterwards.
    expect(existsSync(calls[0]?.args.at(-1) ?? "/")).toBe(false);
    expect(v.local).toBe(false);
  });

  test("not-found errors are told apart from other failures", async () => {
    const r = (stderr: string) => ({ exitCode: 1, stdout: "", stderr });
    expect(isNotFound(r("error: failed to get domain 'x'"))).toBe(true);
    expect(isNotFound(r("error: Storage volume not found: no storage vol with matching path 'x'"))).toBe(
      true,
    );
    expect(isNotFound(r("error: failed to get network 'x'\nerror: Network not found"))).toBe(true);
    expect(isNotFound(r("error: failed to connect to the hypervisor"))).toBe(false);
    const v = new Virsh(async () => r("error: failed to connect to the hypervisor"), undefined, {
      retryForMs: 0,
    });
    await expect(v.dumpOrNull(["dumpxml", "x"])).rejects.toThrow(/failed to connect/);
    const gone = new Virsh(async () => r("error: failed to get domain 'x'"));
    await expect(gone.dumpOrNull(["dumpxml", "x"])).resolves.toBeNull();
  });

  test("transient failures (libvirtd restarting, a busy pool) are retried, with a bound", async () => {
    const r = (exitCode: number, stderr = "") => ({ exitCode, stdout: exitCode === 0 ? "ok" : "", stderr });
    expect(
      isTransient(r(1, "error: failed to connect to the hypervisor\nerror: Failed to connect socket")),
    ).toBe(true);
    expect(isTransient(r(1, "error: internal error: End of file while reading data"))).toBe(true);
    expect(isTransient(r(1, "error: cannot delete volume: pool 'p' has asynchronous jobs running."))).toBe(
      true,
    );
    expect(isTransient(r(1, "error: failed to get domain 'x'"))).toBe(false);
    // Two connection failures, then success: the call succeeds, each retry reported.
    const answers = [
      r(1, "error: failed to connect to the hypervisor"),
      r(1, "error: Cannot recv data"),
      r(0),
    ];
    const retries: string[] = [];
    const calls: string[][] = [];
    const v = new Virsh(
      async (_cmd, args) => {
        calls.push([...args]);
        return answers.shift() ?? r(0);
      },
      "qemu:///system",
      { onRetry: (m) => retries.push(m) },
    );
    await expect(v.exec(["start", "g"])).resolves.toBe("ok");
    expect(calls).toHaveLength(3);
    expect(retries).toHaveLength(2);
    // A start whose first attempt went through before the connection broke: done already.
    const again = [
      r(1, "error: End of file while reading data"),
      r(1, "error: Requested operation is not valid: domain is already running"),
    ];
    const w = new Virsh(async () => again.shift() ?? r(1, "x"), "qemu:///system", {
      onRetry: () => undefined,
    });
    await expect(w.exec(["start", "g"])).resolves.toBe("");
    expect(isAlreadyDone(["undefine", "g"], r(1, "error: failed to get domain 'g'"))).toBe(true);
    expect(isAlreadyDone(["define", "f"], r(1, "error: failed to get domain 'g'"))).toBe(false);
    // Bounded: a daemon that stays away fails the call once the retry time is up.
    const t0 = Date.now();
    const down = new Virsh(async () => r(1, "error: failed to connect to the hypervisor"), "qemu:///system", {
      retryForMs: 1500,
    });
    await expect(down.exec(["list"])).rejects.toThrow(/failed to connect to the hypervisor/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test("info lines and vol-list tables", () => {
    expect(parseInfo("Name:           a: b\nAutostart:      yes\n")).toEqual({
      Name: "a: b",
      Autostart: "yes",
    });
    const out = " base image.qcow2   /var/pool/base image.qcow2\n ov1    /var/pool/ov1\n";
    expect(parseVolList(out, "/var/pool")).toEqual(["/var/pool/base image.qcow2", "/var/pool/ov1"]);
  });
});

describe("qemu-img", () => {
  test("info arguments and both output shapes", () => {
    expect(qemuImgInfoArgs("/a b", { backingChain: true })).toEqual([
      "info",
      "--output=json",
      "-U",
      "--backing-chain",
      "/a b",
    ]);
    const chain = parseImageInfo(
      JSON.stringify([
        {
          filename: "/p/ov",
          format: "qcow2",
          "virtual-size": 10,
          "actual-size": 2,
          "full-backing-filename": "/p/base",
          "backing-filename-format": "qcow2",
        },
        { filename: "/p/base", format: "qcow2", "virtual-size": 10, "actual-size": 9 },
      ]),
    );
    expect(chain.map((c) => [c.filename, c.backingFilename, c.backingFormat])).toEqual([
      ["/p/ov", "/p/base", "qcow2"],
      ["/p/base", undefined, undefined],
    ]);
    expect(parseImageInfo('{"filename":"x","format":"raw","virtual-size":1}')[0]?.format).toBe("raw");
  });
});

describe("content-addressed volume names", () => {
  const hash = "0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r".replace(/[eotu]/g, "x");
  test("store paths carry their hash", () => {
    const h = "1bz1cmp6m1rz9vqsnmyxvd2xmd6icd9y";
    expect(storeVolumeName(`/nix/store/${h}-nixos-disk-image/nixos.qcow2`)).toBe(
      `${h}-nixos-disk-image-nixos.qcow2`,
    );
    expect(storeVolumeName(`/nix/store/${h}-image.qcow2`)).toBe(`${h}-image.qcow2`);
    expect(storeVolumeName("/var/tmp/image.qcow2")).toBeUndefined();
    expect(storeVolumeName(`/nix/store/${hash}`)).toBeUndefined();
  });
  test("other files carry their sha256", () => {
    expect(digestVolumeName("ab".repeat(32), "/tmp/x/disk.qcow2")).toBe(
      `sha256-${"ab".repeat(16)}-disk.qcow2`,
    );
  });
  test("a store path upload gets its name in Check already", () => {
    const h = "1bz1cmp6m1rz9vqsnmyxvd2xmd6icd9y";
    const r = volumeInputs.parse({ pool: "p", source: `/nix/store/${h}-img/nixos.qcow2` });
    expect(r.name).toBe(`${h}-img-nixos.qcow2`);
    expect(volumeInputs.parse({ pool: "p", source: "/var/tmp/x.qcow2" }).name).toBeUndefined();
  });
});

describe("KVM detection", () => {
  const caps = (kvm: boolean, features: string[]) => `<capabilities><host><cpu><arch>x86_64</arch>
    ${features.map((f) => `<feature name='${f}'/>`).join("")}</cpu></host>
    <guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/>${kvm ? "<domain type='kvm'/>" : ""}</arch></guest>
    <guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/></arch></guest></capabilities>`;
  test("kvm needs libvirt's offer and VMX/SVM", () => {
    expect(kvmUsable(caps(true, ["vmx", "sse"]), "x86_64")).toBe(true);
    expect(kvmUsable(caps(true, ["svm"]), "x86_64")).toBe(true);
    // A nested guest without VMX: /dev/kvm exists and libvirt offers kvm, but it would hang.
    expect(kvmUsable(caps(true, ["hypervisor", "sse"]), "x86_64")).toBe(false);
    expect(kvmUsable(caps(false, ["vmx"]), "x86_64")).toBe(false);
    expect(kvmUsable(caps(true, ["vmx"]), "aarch64")).toBe(false);
    // Locally, /proc/cpuinfo's flags decide.
    expect(kvmUsable(caps(true, []), "x86_64", "fpu vme vmx sse")).toBe(true);
    expect(kvmUsable(caps(true, ["vmx"]), "x86_64", "fpu hypervisor")).toBe(false);
  });
});

describe("QEMU user readability", () => {
  const who = { user: "libvirt-qemu", uid: 64055, gids: [107, 64055] };
  const tree: Record<string, { mode: number; uid: number; gid: number }> = {
    "/": { mode: 0o755, uid: 0, gid: 0 },
    "/root": { mode: 0o700, uid: 0, gid: 0 },
    "/root/k": { mode: 0o644, uid: 0, gid: 0 },
    "/var": { mode: 0o755, uid: 0, gid: 0 },
    "/var/k": { mode: 0o644, uid: 0, gid: 0 },
    "/var/private": { mode: 0o600, uid: 0, gid: 0 },
    "/var/grp": { mode: 0o640, uid: 0, gid: 107 },
    "/var/link": { mode: 0o644, uid: 0, gid: 0 },
  };
  const stat = (p: string) => {
    const s = tree[p];
    if (!s) throw new Error(`no ${p}`);
    return s;
  };
  const real = (p: string) => (p === "/var/link" ? "/root/k" : p);
  test("judged along the path and at the real file", () => {
    expect(unreadableReason("/root/k", who, stat, real)).toBe("libvirt-qemu cannot enter /root");
    expect(unreadableReason("/var/k", who, stat, real)).toBeUndefined();
    expect(unreadableReason("/var/private", who, stat, real)).toBe("libvirt-qemu cannot read /var/private");
    expect(unreadableReason("/var/grp", who, stat, real)).toBeUndefined();
    expect(unreadableReason("/var/link", who, stat, real)).toBe("libvirt-qemu cannot enter /root");
  });
  test("the QEMU user from qemu.conf or the distribution default", () => {
    const passwd =
      "root:x:0:0::/root:/bin/sh\nlibvirt-qemu:x:64055:107::/var/lib/libvirt:/usr/sbin/nologin\nqemu:x:107:107::/:/bin/false\n";
    const group = "root:x:0:\nkvm:x:107:libvirt-qemu\nlibvirt-qemu:x:64055:libvirt-qemu\n";
    expect(qemuIdentity({ passwd, group })).toEqual({ user: "libvirt-qemu", uid: 64055, gids: [107, 64055] });
    expect(
      qemuIdentity({ passwd, group, qemuConf: '# user = "x"\nuser = "qemu"\ngroup = "kvm"\n' })?.uid,
    ).toBe(107);
    expect(qemuIdentity({ passwd: "root:x:0:0::/:/bin/sh\n", group })).toBeUndefined();
  });
});

describe("input validation names the field", () => {
  test("pool", () => {
    expect(failures(poolInputs, { name: "p" })).toEqual([
      { property: "path", reason: "is required unless existing is true" },
    ]);
    expect(
      failures(poolInputs, { name: "a/b", path: "rel" })
        .map((f) => f.property)
        .sort(),
    ).toEqual(["name", "path"]);
  });
  test("volume", () => {
    expect(failures(volumeInputs, { pool: "p", name: "v", size: "12 bananas" })).toEqual([
      { property: "size", reason: expect.stringContaining('invalid size "12 bananas"') },
    ]);
    expect(failures(volumeInputs, { pool: "p", name: "v" })[0]?.property).toBe("size");
    expect(failures(volumeInputs, { pool: "p", size: "1G" })[0]?.property).toBe("name");
    expect(
      failures(volumeInputs, { pool: "p", name: "o", backingVolume: "b", format: "raw" })[0]?.property,
    ).toBe("format");
    expect(failures(volumeInputs, { pool: "p", name: "v", size: "1G" })).toEqual([]);
  });
  test("network", () => {
    expect(
      failures(networkInputs, {
        name: "n",
        address: "10.9.0.1/24",
        dhcp: { start: "10.9.1.2", end: "10.9.0.1" },
      }).map((f) => f.property),
    ).toEqual(["dhcp.start", "dhcp.end"]);
    expect(
      failures(networkInputs, { name: "default", existing: true, address: "10.0.0.1/24" })[0]?.property,
    ).toBe("address");
    expect(failures(networkInputs, { name: "n", address: "300.1.1.1/24" })[0]?.property).toBe("address");
  });
  test("domain", () => {
    const f = failures(domainInputs, {
      name: "d",
      memoryMiB: 8,
      disks: [{ pool: "p" }, { path: "/x", serial: "has space" }],
      networkInterfaces: [
        { network: "a", bridge: "b" },
        { network: "a", mac: "zz" },
      ],
      filesystems: [
        { source: "/a", tag: "t" },
        { source: "/b", tag: "t" },
      ],
      boot: { kernel: "vmlinuz" },
    }).map((x) => x.property);
    expect(f.sort()).toEqual(
      [
        "memoryMiB",
        "disks[0].volume",
        "disks[1].serial",
        "networkInterfaces[0].network",
        "networkInterfaces[1].mac",
        "boot.kernel",
        "filesystems[1].tag",
      ].sort(),
    );
    const ok = domainInputs.parse({ name: "d", boot: { kernel: "/k", cmdline: "  console=ttyS0 " } });
    expect(ok).toMatchObject({ vcpus: 1, memoryMiB: 512, machine: "q35", virtType: "auto", running: true });
    expect(ok.boot?.cmdline).toBe("console=ttyS0");
    expect(failures(domainInputs, { name: "bad\u0001name" })[0]?.property).toBe("name");
  });
});
