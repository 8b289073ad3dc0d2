// Guests created and deleted side by side, as the engine does for a lab (provider/libvirt/domain.ts,
// host-view.ts), on the real qemu:///system (TCG): three guests sharing one read-only folder each
// take a DHCP lease, found through one shared look at the network's leases (no per-guest
// domifaddr/domstate polling); the read-only view is mounted once, not once per guest; deleting
// them together unmounts it once, without errors.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { readOnlyView } from "../../provider/libvirt/readonly-share";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";
import { removeDomainFiles } from "../libvirt/harness";
import { buildFixtureInitramfs, renderFixtureInit } from "../support/fixture-guest";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testKernel, testPrefix } from "../support/paths";
import { recordingRunner } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

type Props = Record<string, unknown>;
const run = `${testPrefix}side-`;
const wire = (p: unknown): Props =>
  Struct.fromJavaScript(p as Record<string, JavaScriptValue>).toJavaScript() as Props;
const urn = (name: string) => `urn:pulumi:test::nixlab-scale::nixlab:libvirt:Domain::${name}`;
const mountsOf = (point: string): number =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.split(" ")[4] === point).length;

describe("guests side by side on qemu:///system", () => {
  const { run: runner, calls } = recordingRunner();
  const provider = new NixlabProvider(providerVersion, definitions, runner);
  const made: { name: string; id: string; outs: Props }[] = [];
  let work: string;
  let share: string;

  const network = `${run}net`;

  beforeAll(async () => {
    work = makeWorkDir("side-by-side");
    // A network of its own: the leases of `default` are shared with everything else on the host.
    const used = (await execa("ip", ["-4", "-o", "addr"])).stdout;
    const third = Array.from({ length: 200 }, (_, i) => 20 + ((process.pid + i) % 200)).find(
      (t) => !used.includes(` 10.214.${t}.`),
    );
    const xml = path.join(work, "network.xml");
    writeFileSync(
      xml,
      `<network><name>${network}</name><forward mode="nat"/><ip address="10.214.${third}.1" netmask="255.255.255.0"><dhcp><range start="10.214.${third}.2" end="10.214.${third}.254"/></dhcp></ip></network>`,
    );
    await virsh(["net-define", xml]);
    await virsh(["net-start", network]);
    share = path.join(work, "share");
    mkdirSync(share, { mode: 0o755 });
    writeFileSync(path.join(share, "hello.txt"), "shared-read-only\n");
  });
  afterAll(async () => {
    for (const m of made) {
      await virsh(["destroy", m.name]).catch(() => undefined);
      await virsh(["undefine", m.name]).catch(() => undefined);
      removeDomainFiles(m.outs);
    }
    sweepLibvirtObjects(run);
    removeWorkDir(work);
  });

  test("three guests created together: leases from one shared look, the read-only view mounted once", async () => {
    const init = renderFixtureInit({
      marker: "NIXLAB-SIDE-BOOTED",
      shares: [{ tag: "ro", mountpoint: "/mnt" }],
      commands: [
        'echo "NIXLAB-SHARE $(cat /mnt/hello.txt)"',
        "ip link set eth0 up",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
        'printf \'#!/bin/sh\\n[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface" && echo "NIXLAB-IP $ip"\\nexit 0\\n\' > /bin/lease',
        "chmod +x /bin/lease",
        // Until it has a lease: three guests under TCG on a busy host can miss an answer or two.
        "until udhcpc -i eth0 -n -q -t 10 -T 3 -s /bin/lease; do sleep 1; done",
      ],
      poweroff: false,
    });
    const initrd = await buildFixtureInitramfs(work, testKernel(), init);
    calls.length = 0;
    const names = [0, 1, 2].map((i) => `${run}g${i}`);
    const results = await Promise.all(
      names.map(async (name) => {
        const checked = await provider.check(
          urn(name),
          {},
          wire({
            name,
            vcpus: 1,
            memoryMiB: 256,
            boot: { kernel: testKernel().vmlinuz, initrd, cmdline: "console=ttyS0 panic=-1 no_timer_check" },
            networkInterfaces: [{ network }],
            filesystems: [{ source: share, tag: "ro", readOnly: true }],
            ipTimeoutSeconds: 240,
            shutdownTimeoutSeconds: 0,
          }),
        );
        if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
        const r = await provider.create(urn(name), wire(checked.inputs));
        const m = { name, id: r.id ?? "", outs: wire(r.outs ?? {}) };
        made.push(m);
        return m;
      }),
    );
    for (const m of results) {
      const lease = await waitForConsole(String(m.outs.consoleLogPath), /NIXLAB-IP (\S+)/);
      expect(m.outs.ipAddress).toBe(lease[1]);
      expect((await waitForConsole(String(m.outs.consoleLogPath), /NIXLAB-SHARE (\S+)/))[1]).toBe(
        "shared-read-only",
      );
    }
    const sub = (c: { args: readonly string[] }) => c.args.join(" ");
    const virshCalls = calls.filter((c) => c.cmd === "virsh").map(sub);
    // No guest polled on its own while it waited.
    expect(virshCalls.filter((c) => / (domifaddr|domstate) /.test(`${c} `))).toEqual([]);
    expect(virshCalls.filter((c) => c.includes("net-dhcp-leases")).length).toBeGreaterThan(0);
    // The host's capabilities were asked once, not once per guest.
    expect(virshCalls.filter((c) => / capabilities$/.test(c))).toHaveLength(1);
    expect(mountsOf(readOnlyView(share))).toBe(1);
  });

  test("deleted together: no error, the view unmounted, nothing left", async () => {
    await Promise.all(made.map((m) => provider.delete(m.id, urn(m.name), wire(m.outs))));
    made.length = 0;
    expect(mountsOf(readOnlyView(share))).toBe(0);
    const left = (await virsh(["list", "--all", "--name"])).split("\n").filter((n) => n.startsWith(run));
    expect(left).toEqual([]);
  });
});
