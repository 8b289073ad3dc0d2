// Volumes of one pool handled side by side (provider/libvirt/volume.ts, virsh-batch.ts) against the
// real qemu:///system: overlays created together in one virsh process with the right backing,
// a clash in the batch reported as before while the others are made; reads side by side share one
// pool-refresh and still see volumes deleted out of band (through virsh, or their file removed);
// deletes side by side share one scan for overlays, and a base that still backs one is kept.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import * as path from "node:path";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Virsh } from "../../provider/libvirt/virsh";
import { scriptable, virshEach } from "../../provider/libvirt/virsh-batch";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";
import { virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testPrefix } from "../support/paths";
import { recordingRunner } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

type Props = Record<string, unknown>;
const run = `${testPrefix}vbatch-`;
const pool = `${run}pool`;
const uri = "qemu:///system";
const wire = (p: unknown): Props =>
  Struct.fromJavaScript(p as Record<string, JavaScriptValue>).toJavaScript() as Props;
const urn = (name: string) => `urn:pulumi:test::nixlab-scale::nixlab:libvirt:Volume::${name}`;

describe("a command string for virsh takes plain tokens only", () => {
  test("quotes, spaces, ; # \\ and $ are never put into one", () => {
    expect(scriptable(["vol-dumpxml", "--pool", "p-1", "/var/lib/a_b.qcow2"])).toBe(true);
    for (const bad of ["a b", "a;b", "a'b", 'a"b', "a#b", "a\\b", "a$b", ""])
      expect(scriptable(["vol-dumpxml", bad])).toBe(false);
  });
});

describe("volumes side by side on qemu:///system", () => {
  const { run: runner, calls } = recordingRunner();
  const provider = new NixlabProvider(providerVersion, definitions, runner);
  const virshCalls = () => calls.filter((c) => c.cmd === "virsh");
  let work: string;
  let base: { id: string; outs: Props };
  const made = new Map<string, { id: string; outs: Props }>();

  const create = async (name: string, news: Props) => {
    const checked = await provider.check(urn(name), {}, wire({ uri, pool, ...news }));
    if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
    const r = await provider.create(urn(name), wire(checked.inputs));
    const m = { id: r.id ?? "", outs: wire(r.outs ?? {}) };
    made.set(name, m);
    return m;
  };
  const read = async (name: string) => {
    const m = made.get(name) as { id: string; outs: Props };
    const r = await provider.read(m.id, urn(name), wire(m.outs));
    return r.id ?? "";
  };
  const remove = async (name: string) => {
    const m = made.get(name) as { id: string; outs: Props };
    await provider.delete(m.id, urn(name), wire(m.outs));
    made.delete(name);
  };

  beforeAll(async () => {
    work = makeWorkDir("volume-batch");
    const checked = await provider.check(
      `urn:pulumi:test::nixlab-scale::nixlab:libvirt:Pool::pool`,
      {},
      wire({ uri, name: pool, path: path.join(work, "pool") }),
    );
    await provider.create(`urn:pulumi:test::nixlab-scale::nixlab:libvirt:Pool::pool`, wire(checked.inputs));
    base = await create("base", { name: `${run}base.qcow2`, size: 64 * 1024 ** 2 });
  });
  afterAll(() => {
    sweepLibvirtObjects(run);
    removeWorkDir(work);
  });

  test("overlays created together: one virsh process for all, each on the base", async () => {
    calls.length = 0;
    const overlays = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        create(`ov${i}`, { name: `${run}ov${i}.qcow2`, backingVolume: `${run}base.qcow2` }),
      ),
    );
    // The bases and names looked up in one process, the volumes made and read back in another.
    expect(virshCalls()).toHaveLength(2);
    for (const o of overlays) {
      expect(o.outs).toMatchObject({ kind: "overlay", actualFormat: "qcow2", backingPath: base.outs.path });
      const info = JSON.parse(
        execFileSync("qemu-img", ["info", "--output=json", "-U", String(o.outs.path)], { encoding: "utf8" }),
      ) as { "backing-filename"?: string; "virtual-size": number };
      expect(info["backing-filename"]).toBe(base.outs.path);
      expect(info["virtual-size"]).toBe(64 * 1024 ** 2);
    }
  });

  test("a clash in a batch is refused as before; the other volumes are made", async () => {
    await virsh(["vol-create-as", pool, `${run}taken.qcow2`, "1M", "--format", "raw"]);
    const results = await Promise.allSettled([
      create("taken", { name: `${run}taken.qcow2`, backingVolume: `${run}base.qcow2` }),
      create("ov5", { name: `${run}ov5.qcow2`, backingVolume: `${run}base.qcow2` }),
    ]);
    expect(results[0]).toMatchObject({
      status: "rejected",
      reason: expect.objectContaining({
        message: expect.stringMatching(
          /^name: a volume ".*taken\.qcow2" already exists in pool .* and differs from this one/,
        ),
      }),
    });
    expect(results[1]).toMatchObject({ status: "fulfilled" });
    await virsh(["vol-delete", `${run}taken.qcow2`, "--pool", pool]);
  });

  test("reads side by side share one refresh and still see out-of-band deletes", async () => {
    await virsh(["vol-delete", `${run}ov1.qcow2`, "--pool", pool]);
    // Behind libvirt's back: only a refresh of the pool shows that it is gone.
    rmSync(String(made.get("ov2")?.outs.path));
    calls.length = 0;
    const names = ["base", "ov0", "ov1", "ov2", "ov3", "ov4", "ov5"];
    const ids = await Promise.all(names.map(read));
    expect(Object.fromEntries(names.map((n, i) => [n, ids[i] !== ""]))).toEqual({
      base: true,
      ov0: true,
      ov1: false,
      ov2: false,
      ov3: true,
      ov4: true,
      ov5: true,
    });
    const refreshes = virshCalls().filter((c) => c.args.some((a) => /(^| )pool-refresh /.test(`${a} `)));
    expect(refreshes).toHaveLength(1);
    // One batch, and one lookup alone for each volume that did not come back.
    expect(virshCalls()).toHaveLength(3);
    made.delete("ov1");
    made.delete("ov2");
  });

  test("deletes side by side share one scan; a base that still backs an overlay stays", async () => {
    calls.length = 0;
    await Promise.all(["ov0", "ov3"].map(remove));
    const scans = virshCalls().filter((c) => c.args.includes("pool-list"));
    expect(scans).toHaveLength(1);
    await remove("base");
    expect((await virsh(["vol-list", pool])).includes(`${run}base.qcow2`)).toBe(true);
    await Promise.all(["ov4", "ov5"].map(remove));
    made.set("base", base);
    await remove("base");
    expect((await virsh(["vol-list", pool])).includes(`${run}base.qcow2`)).toBe(false);
  });

  test("virshEach: each command's output in order, null for one that fails", async () => {
    const v = new Virsh(runner, uri);
    const outs = await virshEach(v, [
      ["pool-dumpxml", pool],
      ["vol-dumpxml", "--pool", pool, `${run}nosuch.qcow2`],
      ["pool-info", pool],
    ]);
    expect(outs[0]).toContain(`<name>${pool}</name>`);
    expect(outs[1]).toBeNull();
    expect(outs[2]).toMatch(/^Name:\s+\S+/m);
  });
});
