// The fault suite through the real engine and libvirt: a lab with its own NAT network (no DHCP range
// given), pool, test drive and the demo guest, interrupted and changed behind its back the ways a
// kernel developer's day does, each followed by `up` (or `refresh`) alone, through scripts/pulumi as
// a user runs it. Ends with a destroy and an empty leak check.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import * as yaml from "js-yaml";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { repoRoot, testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { waitFor } from "../support/wait";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import {
  autoRootsInto,
  bootCopies,
  filesIn,
  libvirtObjects,
  orphanTempFolders,
  processesOf,
  unusedReadOnlyViews,
} from "./leaks";

const wrapper = path.join(repoRoot, "scripts", "pulumi");
const guest = `${testPrefix}flt`;
const net = `10.215.${process.pid % 250}`;
const bootDir = "/var/lib/libvirt/boot/nixlab";

interface GuestOut {
  ipAddress: string;
  consoleLog: string;
}

const domUuid = async (): Promise<string> => (await virsh(["domuuid", guest])).trim();

describe("faults converge: killed up, out-of-band changes, a restarted libvirtd", () => {
  let work: string;
  let project: string;
  let state: string;
  let pool: string;
  let p: PulumiSandbox;
  const stack = `faults${process.pid}`;
  const uuids = new Set<string>();
  const domainUrn = `urn:pulumi:${stack}::nixlab::nixlab:components:Lab$nixlab:components:ImagelessGuest$nixlab:libvirt:Domain::${guest}`;

  /** scripts/pulumi as a user runs it, in the sandbox (its backend, home and passphrase). */
  const pulumi = async (args: string[], reject = true) => {
    const r = await execa(wrapper, [...args, "-s", stack, "--non-interactive"], {
      cwd: project,
      env: p.env,
      reject: false,
      all: true,
      timeout: 15 * 60_000,
    });
    if (reject && r.exitCode !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.all}`);
    return { exitCode: r.exitCode ?? -1, all: r.all ?? "" };
  };
  const up = (...extra: string[]) => pulumi(["up", "--yes", "--skip-preview", ...extra]);
  const outputs = async (): Promise<GuestOut> => {
    const r = await execa(wrapper, ["stack", "output", "guests", "--json", "-s", stack], {
      cwd: project,
      env: p.env,
    });
    const g = (JSON.parse(r.stdout) as Record<string, GuestOut>)[guest];
    if (!g) throw new Error(`no output for ${guest}`);
    return g;
  };
  const running = async () => (await virsh(["domstate", guest])).trim() === "running";

  beforeAll(async () => {
    work = makeWorkDir("faults");
    state = path.join(work, "state");
    pool = path.join(work, "pool");
    project = rootProjectCopy(path.join(work, "project"), "demo");
    const config = {
      config: {
        "nixlab:lab": {
          network: { name: `${testPrefix}net`, address: `${net}.1/24` },
          pool: { name: `${testPrefix}pool`, path: pool },
          guests: [
            {
              name: guest,
              backend: "imageless",
              vcpus: 1,
              memoryMiB: 384,
              drives: [{ name: "scratch", size: "64M" }],
              closure: { demoFixture: true },
            },
          ],
        },
      },
    };
    // The project keeps its stacks' config files in stacks/ (Pulumi.yaml stackConfigDir).
    writeFileSync(path.join(project, "stacks", `Pulumi.${stack}.yaml`), yaml.dump(config));
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: state });
    mkdirSync(state, { recursive: true });
    await pulumi(["stack", "init"]);
  });

  afterAll(async () => {
    await pulumi(["destroy", "--yes", "--skip-preview"], false);
    sweepLibvirtObjects(testPrefix);
    for (const u of uuids) rmSync(path.join(bootDir, u), { recursive: true, force: true });
    removeWorkDir(work);
  });

  test("a killed up: the engine's plugins end with it, and the next up alone converges", async () => {
    const killed = execa(wrapper, ["up", "--yes", "--skip-preview", "-s", stack, "--non-interactive"], {
      cwd: project,
      env: p.env,
      reject: false,
      all: true,
    });
    // Kill it while the guest is being created (defined, booting, waiting for its lease).
    const orphan = await waitFor("the domain to be defined", async () =>
      (await virsh(["list", "--all", "--name"])).split("\n").includes(guest) ? await domUuid() : undefined,
    );
    uuids.add(orphan);
    killed.kill("SIGKILL");
    await killed;
    // The provider and the language host go with the engine (nothing keeps running orphaned).
    const left = await waitFor(
      "the engine's plugins to exit",
      async () => (processesOf(p.env.PULUMI_HOME ?? "").length === 0 ? [] : undefined),
      15_000,
    ).catch(() => processesOf(p.env.PULUMI_HOME ?? ""));
    expect(left).toEqual([]);

    const again = await up();
    expect(again.all).toMatch(/removed the stale lock of pulumi process/);
    expect(again.all).toMatch(/left by an interrupted create; creating it again/);
    const uuid = await domUuid();
    uuids.add(uuid);
    expect(uuid).not.toBe(orphan);
    expect(bootCopies([orphan])).toEqual([]);
    // The network was created without a DHCP range in the config: guests get a lease in it.
    const out = await outputs();
    expect(out.ipAddress).toMatch(new RegExp(`^${net.replaceAll(".", "\\.")}\\.\\d+$`));
    const marker = await waitForConsole(out.consoleLog, /NIXLAB-DEMO-IP (\S+)/);
    expect(marker[1]).toBe(out.ipAddress);

    // The engine's note about the interrupted operation goes with a refresh; then all is quiet.
    await pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    const quiet = await pulumi(["preview"]);
    expect(quiet.all).not.toMatch(/pending operations/);
    expect(quiet.all).toMatch(/\d+ unchanged/);
    expect(quiet.all).not.toMatch(/to (create|update|replace|delete)/);
  });

  test("out-of-band virsh destroy + undefine: a plain up makes the guest again, leaking no boot copy", async () => {
    const before = await domUuid();
    await virsh(["destroy", guest]);
    await virsh(["undefine", guest]);
    const r = await up();
    expect(r.all).toMatch(/no longer exists: it will be created again/);
    const after = await domUuid();
    uuids.add(after);
    expect(after).not.toBe(before);
    expect(await running()).toBe(true);
    expect(bootCopies([before])).toEqual([]);
  });

  test("a deleted boot copy: refresh notices, up makes it again; up --replace works", async () => {
    const uuid = await domUuid();
    const copy = path.join(bootDir, uuid, "kernel");
    expect(existsSync(copy)).toBe(true);
    rmSync(path.join(bootDir, uuid), { recursive: true, force: true });
    const refreshed = await pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(refreshed.all).toMatch(/boot copies are missing/);
    const repaired = await up();
    expect(repaired.all).toMatch(/restored the boot copy/);
    expect(existsSync(copy)).toBe(true);
    // The guest can restart from it.
    await virsh(["destroy", guest]);
    await up();
    expect(await running()).toBe(true);

    const replaced = await up("--replace", domainUrn);
    expect(replaced.all).toMatch(/1 replaced/);
    const now = await domUuid();
    uuids.add(now);
    expect(now).not.toBe(uuid);
    expect(bootCopies([uuid])).toEqual([]);
  });

  test("libvirtd restarted in the middle of an up: the up retries and completes", async () => {
    const before = await domUuid();
    const replacing = execa(wrapper, ["up", "--yes", "--skip-preview", "--replace", domainUrn, "-s", stack], {
      cwd: project,
      env: p.env,
      reject: false,
      all: true,
    });
    await waitFor("the replacement to be defined", async () => {
      const names = (await virsh(["list", "--all", "--name"])).split("\n");
      if (!names.includes(guest)) return undefined;
      const u = await domUuid().catch(() => before);
      return u !== before ? u : undefined;
    });
    execFileSync("pkill", ["-x", "libvirtd"]);
    await new Promise((r) => setTimeout(r, 2000));
    execFileSync("bash", [path.join(repoRoot, "scripts", "setup", "libvirt")], { stdio: "ignore" });
    const r = await replacing;
    if (r.exitCode !== 0) throw new Error(`up failed across the libvirtd restart:\n${r.all}`);
    expect(r.all).toMatch(/virsh \S+: .*; retrying in \d+ ms/);
    const now = await domUuid();
    uuids.add(now);
    expect(await running()).toBe(true);
    // The live domain's boot copy is still there (a failed step never removed it).
    expect(existsSync(path.join(bootDir, now, "kernel"))).toBe(true);
    expect((await outputs()).ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  test("a deleted pool directory: up rebuilds it; destroy keeps a user's file there and says so", async () => {
    rmSync(pool, { recursive: true, force: true });
    await up();
    expect(filesIn(pool).map((f) => path.basename(f))).toEqual([`${guest}-scratch.qcow2`]);
    const quiet = await pulumi(["preview"]);
    expect(quiet.all).not.toMatch(/to (create|update|replace|delete)/);

    writeFileSync(path.join(pool, "my-notes.txt"), "mine\n");
    const log = (await outputs()).consoleLog;
    const destroyed = await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(destroyed.all).toMatch(/kept the pool directory .* nixlab did not create: .*my-notes\.txt/);
    expect(readFileSync(path.join(pool, "my-notes.txt"), "utf8")).toBe("mine\n");

    // Leak check: nothing that nixlab made is left.
    expect(libvirtObjects(testPrefix)).toEqual([]);
    expect(filesIn(path.join(state, "gcroots"))).toEqual([]);
    expect(autoRootsInto(state)).toEqual([]);
    expect(bootCopies([...uuids])).toEqual([]);
    expect(existsSync(log)).toBe(false);
    expect(unusedReadOnlyViews()).toEqual([]);
    expect(orphanTempFolders()).toEqual([]);
    expect(processesOf(p.env.PULUMI_HOME ?? "")).toEqual([]);
  });
});
