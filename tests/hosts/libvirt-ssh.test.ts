// The libvirt resources on a host reached over SSH with a key that is a Pulumi secret and a
// pinned host key (the `ssh` input): a loopback sshd stands in for the remote host, whose
// libvirtd is this machine's. The URI carries no key file and no ssh command of its own. Also:
// a domain whose closure is not on its host is refused before it is defined, naming the paths.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isReadOnlyMount, readOnlyView } from "../../provider/libvirt/readonly-share";
import { Engine, urnOf } from "../libvirt/harness";
import { virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testKernel, testPrefix } from "../support/paths";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const run = `${testPrefix}hssh-`;
const secretOf = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});
const isSecret = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] !== undefined;
const keyFolders = () =>
  ["/dev/shm", "/tmp"].flatMap((d) =>
    readdirSync(d).filter((f) => f.startsWith(`nixlab-ssh-${process.pid}-`)),
  );

describe("libvirt resources over qemu+ssh:// with a secret key", () => {
  const engine = new Engine();
  let work: string;
  let sshd: LoopbackSshd;
  let uri: string;
  let ssh: Record<string, unknown>;

  beforeAll(async () => {
    work = makeWorkDir("hosts-ssh");
    sshd = await startSshd(path.join(work, "sshd"));
    uri = `qemu+ssh://${sshd.user}@${sshd.host}:${sshd.port}/system`;
    ssh = secretOf({
      privateKey: readFileSync(sshd.identityFile, "utf8"),
      knownHosts: readFileSync(sshd.knownHostsFile, "utf8"),
    });
  });
  afterAll(async () => {
    sweepLibvirtObjects(run);
    await sshd.stop();
    removeWorkDir(work);
  });

  test("pool, volume and a domain: created, read and deleted; the key stays secret", async () => {
    const pool = await engine.create(urnOf("Pool", "p"), {
      uri,
      ssh,
      name: `${run}pool`,
      path: path.join(work, "pool"),
    });
    expect(pool.outs).toMatchObject({ uri, active: true, createdDir: true });
    expect(isSecret(pool.outs.ssh)).toBe(true);
    const vol = await engine.create(urnOf("Volume", "v"), {
      uri,
      ssh,
      pool: `${run}pool`,
      name: "d.qcow2",
      size: "8M",
    });
    expect(isSecret(vol.outs.ssh)).toBe(true);
    const net = await engine.create(urnOf("Network", "n"), { uri, ssh, name: "default", existing: true });
    const urn = urnOf("Domain", "d");
    const share = path.join(work, "share");
    mkdirSync(share);
    const dom = await engine.create(urn, {
      uri,
      ssh,
      name: `${run}guest`,
      running: false,
      // A file that is on the host: the check before define finds it.
      boot: { kernel: testKernel().vmlinuz },
      disks: [{ pool: `${run}pool`, volume: "d.qcow2" }],
      networkInterfaces: [{ network: "default" }],
      // libvirt 9 refuses <readonly/> virtiofs: the host serves a read-only bind mount, made over ssh.
      filesystems: [{ source: share, tag: "share", readOnly: true }],
    });
    expect(dom.outs).toMatchObject({ state: "shut off" });
    expect(String(dom.outs.domainXml)).toContain(`<source dir='${readOnlyView(share)}'/>`);
    expect(isReadOnlyMount(readOnlyView(share))).toBe(true);
    expect(isSecret(dom.outs.ssh)).toBe(true);
    // Only inside the secret (which the engine stores encrypted), nowhere else in the state.
    expect(JSON.stringify({ ...dom.outs, ssh: undefined })).not.toContain("PRIVATE KEY");
    expect(await virsh(["domstate", `${run}guest`])).toBe("shut off");
    const read = await engine.read(urn, dom.id, dom.outs);
    expect((await engine.diff(urn, dom.id, read.props, dom.inputs)).changes).toBe(false);
    expect(keyFolders()).toEqual([]);

    await engine.delete(urn, dom.id, dom.outs);
    expect(isReadOnlyMount(readOnlyView(share))).toBe(false);
    await engine.delete(urnOf("Network", "n"), net.id, net.outs);
    await engine.delete(urnOf("Volume", "v"), vol.id, vol.outs);
    await engine.delete(urnOf("Pool", "p"), pool.id, pool.outs);
    expect(await virsh(["list", "--all", "--name"])).not.toContain(run);
    expect(await virsh(["pool-list", "--all", "--name"])).not.toContain(run);
    expect(keyFolders()).toEqual([]);
  });

  test("a host key that is not the pinned one is refused", async () => {
    const other = secretOf({
      privateKey: readFileSync(sshd.identityFile, "utf8"),
      knownHosts: `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvJ0e2oU2t8c3m3eS5zv5oM0yq0P0q0Y9Fq8p9m0b1a\n`,
    });
    await expect(
      engine.create(urnOf("Pool", "bad"), {
        uri,
        ssh: other,
        name: `${run}bad`,
        path: path.join(work, "bad"),
      }),
    ).rejects.toThrow(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    expect(await virsh(["pool-list", "--all", "--name"])).not.toContain(`${run}bad`);
  });

  test("a domain whose closure is not on its host is refused before it is defined", async () => {
    const missing = "/nix/store/00000000000000000000000000000000-nixlab-missing-system";
    const urn = urnOf("Domain", "m");
    await expect(
      engine.create(urn, {
        uri,
        ssh,
        name: `${run}missing`,
        running: false,
        boot: {
          kernel: testKernel().vmlinuz,
          initrd: `${missing}/initrd`,
          cmdline: `init=${missing}/init console=ttyS0`,
        },
        filesystems: [{ source: "/nix/store", tag: "store" }],
      }),
    ).rejects.toThrow(
      `${run}missing: not on the libvirt host 127.0.0.1 (${uri}): boot.initrd ${missing}, boot.cmdline ${missing}. The guest's closure (and kernel) must be in that host's Nix store before the domain is defined`,
    );
    expect(await virsh(["list", "--all", "--name"])).not.toContain(`${run}missing`);
  });
});
