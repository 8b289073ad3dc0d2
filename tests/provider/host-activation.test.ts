// nixlab:host:Activation against a loopback sshd "host" (this machine) with fake system closures
// whose switch-to-configuration records its calls: switch, update, drift, failure with rollback,
// and a generation that takes the host off the network, rolled back by the host-side watchdog.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { nixEnv } from "../support/env";
import { buildOut, prepareActivationFixture } from "../support/nix-fixture";
import { testProvider, urnOf } from "../support/provider-harness";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { waitFor } from "../support/wait";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const urn = urnOf("nixlab:host:Activation", "host");

describe("nixlab:host:Activation", () => {
  let work: string;
  let sshd: LoopbackSshd;
  let callLog: string;
  let profile: string;
  const systems: Record<string, string> = {};

  beforeAll(async () => {
    work = makeWorkDir("activation");
    sshd = await startSshd(path.join(work, "sshd"));
    const fixture = prepareActivationFixture(work, path.join(work, "sshd", "sshd.pid"));
    callLog = fixture.callLog;
    for (const name of ["a", "b", "fail", "darken", "hang"]) {
      systems[name] = await buildOut(`path:${fixture.flake}#packages.x86_64-linux.${name}`);
    }
    profile = path.join(work, "profiles", "system");
  });
  afterAll(async () => {
    // The hung activation and the watchdogs of this run's activations (their arguments name the
    // work folder) would outlive the test on this "host".
    await execa("pkill", ["-f", "sleep 599.25"], { reject: false });
    await execa("pkill", ["-f", `watchdog .*${work}`], { reject: false });
    await sshd?.stop();
    removeWorkDir(work);
  });

  const calls = (): string[] => (existsSync(callLog) ? readFileSync(callLog, "utf8").trim().split("\n") : []);
  const current = (): string => realpathSync(profile);
  const inputs = (closure: string, extra: Record<string, unknown> = {}) => ({
    connection: {
      host: "127.0.0.1",
      user: sshd.user,
      port: sshd.port,
      privateKey: readFileSync(sshd.identityFile, "utf8"),
      knownHosts: readFileSync(sshd.knownHostsFile, "utf8"),
    },
    closure,
    profile,
    confirmTimeoutSeconds: 3,
    // The watchdogs' files stay in this run's folder, not the machine's /tmp.
    remoteTmpDir: work,
    ...extra,
  });

  test("activates, updates, sees drift, rolls back a failed activation, and keeps the host on delete", async () => {
    const { provider } = testProvider();
    const a = await provider.check(urn, {}, inputs(systems.a ?? ""));
    expect(a.failures ?? []).toEqual([]);
    const created = await provider.create(urn, a.inputs);
    expect(calls()).toEqual(["a switch"]);
    expect(current()).toBe(systems.a);
    expect(created.outs).toMatchObject({ previous: "" });

    const b = await provider.check(urn, created.outs, inputs(systems.b ?? ""));
    expect((await provider.diff(created.id, urn, created.outs, b.inputs)).changes).toBe(true);
    const updated = await provider.update(created.id, urn, created.outs, b.inputs);
    expect(calls()).toEqual(["a switch", "b switch"]);
    expect(current()).toBe(systems.b);
    // The profile keeps generations, as on NixOS.
    expect(readlinkSync(profile)).toMatch(/^system-2-link$/);

    // Someone switches the host behind Pulumi's back: refresh shows it.
    await execa("nix-env", ["-p", profile, "--set", systems.a ?? ""], { env: nixEnv() });
    const drift = await provider.read(created.id, urn, updated.outs);
    expect(drift.props).toMatchObject({ closure: systems.a });
    await execa("nix-env", ["-p", profile, "--set", systems.b ?? ""], { env: nixEnv() });

    // switch-to-configuration fails: switched straight back to b, and the resource fails.
    const f = await provider.check(urn, updated.outs, inputs(systems.fail ?? ""));
    await expect(provider.update(created.id, urn, updated.outs, f.inputs)).rejects.toThrow(
      new RegExp(`activation of ${systems.fail} on root@127.0.0.1 failed; rolled back to ${systems.b}`),
    );
    expect(calls().slice(-2)).toEqual(["fail switch", "b switch"]);
    expect(current()).toBe(systems.b);

    // Delete keeps the host as it is (onDelete: keep).
    await provider.delete(created.id, urn, updated.outs);
    expect(calls()).toHaveLength(4);
    expect(current()).toBe(systems.b);
  });

  test("a new key for the same host and system activates nothing; no marker file is left on the host", async () => {
    const { provider } = testProvider();
    const tmp = path.join(work, "remote-tmp");
    mkdirSync(tmp);
    // Rollback off: no watchdog, so the confirmation's files are the deployer's to remove.
    const a = await provider.check(urn, {}, inputs(systems.a ?? "", { remoteTmpDir: tmp, rollback: false }));
    const created = await provider.create(urn, a.inputs);
    const before = calls().length;
    expect(readdirSync(tmp)).toEqual([]);
    const rotated = await provider.check(
      urn,
      created.outs,
      inputs(systems.a ?? "", { remoteTmpDir: tmp, rollback: false, activationTimeoutSeconds: 120 }),
    );
    const d = await provider.diff(created.id, urn, created.outs, rotated.inputs);
    expect(d.changes).toBe(true);
    await provider.update(created.id, urn, created.outs, rotated.inputs);
    expect(calls()).toHaveLength(before);
    // With rollback on, the watchdog removes its files once its time is up; after a failure too.
    const on = await provider.check(urn, {}, inputs(systems.b ?? "", { remoteTmpDir: tmp }));
    await provider.update(created.id, urn, created.outs, on.inputs);
    await waitFor(
      "the watchdog to remove its files",
      () => readdirSync(tmp).length === 0 || undefined,
      60_000,
    );
  });

  test("an activation that never finishes fails at activationTimeoutSeconds", async () => {
    const { provider } = testProvider();
    const b = await provider.check(urn, {}, inputs(systems.b ?? ""));
    const created = await provider.create(urn, b.inputs);
    const h = await provider.check(
      urn,
      created.outs,
      inputs(systems.hang ?? "", { activationTimeoutSeconds: 10 }),
    );
    const t0 = Date.now();
    await expect(provider.update(created.id, urn, created.outs, h.inputs)).rejects.toThrow(
      /did not finish within activationTimeoutSeconds \(10 s\); its watchdog switches it back/,
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  test("a generation that cuts SSH off is rolled back by the host's watchdog", async () => {
    const { provider } = testProvider();
    const b = await provider.check(urn, {}, inputs(systems.b ?? ""));
    const created = await provider.create(urn, b.inputs);
    const before = calls().length;
    const d = await provider.check(urn, created.outs, inputs(systems.darken ?? ""));
    await expect(provider.update(created.id, urn, created.outs, d.inputs)).rejects.toThrow(
      new RegExp(
        `did not answer SSH within 3 s after activating ${systems.darken}; its watchdog switches it back to ${systems.b}`,
      ),
    );
    expect(calls().slice(before)).toEqual(["darken switch"]);
    // The watchdog acts confirmTimeout + 15 s after the activation finished.
    await waitFor("the watchdog's rollback", () => calls().length > before + 1 || undefined, 60_000);
    expect(calls().slice(before)).toEqual(["darken switch", "b switch"]);
    expect(current()).toBe(systems.b);
  });

  test("bad input fails in check, naming the fields", async () => {
    const { provider } = testProvider();
    const r = await provider.check(
      urn,
      {},
      {
        connection: { host: "bad host", port: 70000 },
        closure: "/tmp/nope",
        action: "reboot",
      },
    );
    expect(r.failures).toEqual([
      { property: "connection.host", reason: "must be a host name or IP address" },
      { property: "connection.port", reason: "Too big: expected number to be <=65535" },
      { property: "closure", reason: "must be a Nix store path (/nix/store/<hash>-<name>)" },
      { property: "action", reason: 'Invalid option: expected one of "switch"|"boot"|"test"|"dry-activate"' },
    ]);
  });
});
