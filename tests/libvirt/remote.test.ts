// The same resources over qemu+ssh://, the way guests land on a controller host: a loopback
// sshd stands in for the remote host (which is this machine's libvirtd). The URI is only passed
// to virsh with -c; this proves nothing else assumes a local connection.
import { chmodSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testPrefix } from "../support/paths";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { Engine, urnOf } from "./harness";

const run = `${testPrefix}ssh-`;

describe("libvirt resources over qemu+ssh://", () => {
  const engine = new Engine();
  let work: string;
  let sshd: LoopbackSshd;
  let uri: string;

  beforeAll(async () => {
    work = makeWorkDir("libvirt-ssh");
    sshd = await startSshd(path.join(work, "sshd"));
    // The ssh transport runs the ssh client; `command=` lets it check the test's own known_hosts.
    const ssh = path.join(work, "ssh");
    writeFileSync(
      ssh,
      `#!/bin/sh\nexec ssh -o UserKnownHostsFile=${sshd.knownHostsFile} -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes "$@"\n`,
    );
    chmodSync(ssh, 0o755);
    uri = `qemu+ssh://${sshd.user}@${sshd.host}:${sshd.port}/system?keyfile=${sshd.identityFile}&command=${ssh}`;
  });

  afterAll(async () => {
    sweepLibvirtObjects(run);
    await sshd.stop();
    removeWorkDir(work);
  });

  test("pool, volume, adopted network and a domain: create, read, delete", async () => {
    const pool = await engine.create(urnOf("Pool", "rpool"), {
      uri,
      name: `${run}pool`,
      path: path.join(work, "pool"),
    });
    expect(pool.outs).toMatchObject({ uri, active: true, createdDir: true });
    const vol = await engine.create(urnOf("Volume", "rvol"), {
      uri,
      pool: `${run}pool`,
      name: "disk.qcow2",
      size: "8M",
    });
    const net = await engine.create(urnOf("Network", "rnet"), { uri, name: "default", existing: true });
    expect(net.outs.created).toBe(false);

    // Files named by a remote domain are the remote host's: not checked, not copied here.
    const urn = urnOf("Domain", "rguest");
    const checked = await engine.check(urn, {
      uri,
      name: `${run}guest`,
      running: false,
      boot: { kernel: "/only/on/the/remote/host/vmlinuz" },
      disks: [{ pool: `${run}pool`, volume: "disk.qcow2" }],
      networkInterfaces: [{ network: "no-such-net" }],
    });
    expect(checked.failures).toEqual([
      {
        property: "networkInterfaces[0].network",
        reason: `no libvirt network named "no-such-net" on ${uri}`,
      },
    ]);
    const dom = await engine.create(urn, {
      uri,
      name: `${run}guest`,
      running: false,
      disks: [{ pool: `${run}pool`, volume: "disk.qcow2" }],
      networkInterfaces: [{ network: "default" }],
    });
    // Its console log is the remote host's, looked for over ssh: not there yet, so the domain's (removed with it).
    expect(dom.outs).toMatchObject({ state: "shut off", consoleLogCreated: true, createdFiles: [] });
    expect(await virsh(["domstate", `${run}guest`])).toBe("shut off");
    const read = await engine.read(urn, dom.id, dom.outs);
    expect((await engine.diff(urn, dom.id, read.props, dom.inputs)).changes).toBe(false);

    await engine.delete(urn, dom.id, dom.outs);
    await engine.delete(urnOf("Network", "rnet"), net.id, net.outs);
    await engine.delete(urnOf("Volume", "rvol"), vol.id, vol.outs);
    await engine.delete(urnOf("Pool", "rpool"), pool.id, pool.outs);
    expect(await virsh(["list", "--all", "--name"])).not.toContain(run);
    expect(await virsh(["pool-list", "--all", "--name"])).not.toContain(run);
    expect(await virsh(["net-info", "default"])).toMatch(/Active:\s+yes/);
  });
});
