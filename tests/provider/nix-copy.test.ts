// nixlab:nix:Copy against the real nix: to a file:// binary cache and to ssh-ng:// on a loopback
// sshd whose far side is a separate (chroot) store, so the copy really moves paths.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { isSecret } from "../../provider/secrets";
import { nixEnv } from "../support/env";
import { buildOut, prepareFixtureFlake } from "../support/nix-fixture";
import { nixCalls, testProvider, urnOf } from "../support/provider-harness";
import { freePort, type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const urn = (name: string) => urnOf("nixlab:nix:Copy", name);
const secretOf = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

describe("nixlab:nix:Copy", () => {
  let work: string;
  let sshd: LoopbackSshd;
  let storePath: string;
  beforeAll(async () => {
    work = makeWorkDir("nix-copy");
    sshd = await startSshd(path.join(work, "sshd"));
    const flake = prepareFixtureFlake("nix-builds", work);
    storePath = await buildOut(`path:${flake}#packages.x86_64-linux.item7`);
  });
  afterAll(async () => {
    await sshd?.stop();
    removeWorkDir(work);
  });

  test("to a file:// binary cache, idempotently", async () => {
    const { provider } = testProvider();
    const cache = path.join(work, "cache");
    const { inputs, failures } = await provider.check(urn("cache"), {}, { storePath, to: `file://${cache}` });
    expect(failures ?? []).toEqual([]);
    const created = await provider.create(urn("cache"), inputs);
    expect(created.outs).toMatchObject({ closurePaths: 1, to: `file://${cache}` });
    expect((created.outs as { closureNarSize: number }).closureNarSize).toBeGreaterThan(0);
    const hash = path.basename(storePath).slice(0, 32);
    expect(existsSync(path.join(cache, `${hash}.narinfo`))).toBe(true);
    const again = await provider.update(created.id, urn("cache"), created.outs, inputs);
    expect(again.outs).toMatchObject({ closurePaths: 1 });
    expect((await provider.read(created.id, urn("cache"), created.outs)).id).toBe(created.id);
  });

  test("to ssh-ng:// with a secret private key and a pinned host key; refresh sees a removed path", async () => {
    const { provider, calls } = testProvider();
    const remoteRoot = path.join(work, "remote-root");
    const remoteStore = `local?root=${remoteRoot}`;
    const to = `ssh-ng://${sshd.user}@127.0.0.1?remote-store=${encodeURIComponent(remoteStore)}`;
    const news = {
      storePath,
      to,
      ssh: {
        port: sshd.port,
        privateKey: secretOf(readFileSync(sshd.identityFile, "utf8")),
        knownHosts: readFileSync(sshd.knownHostsFile, "utf8"),
      },
    };
    const { inputs, failures } = await provider.check(urn("remote"), {}, news);
    expect(failures ?? []).toEqual([]);
    const created = await provider.create(urn("remote"), inputs);
    expect(readdirSync(path.join(remoteRoot, "nix", "store"))).toContain(path.basename(storePath));
    // The key never leaves as plain text: the whole ssh block is a secret in the state.
    expect(isSecret((created.outs as Record<string, unknown>).ssh)).toBe(true);
    expect(JSON.stringify(nixCalls(calls, "copy"))).not.toContain("PRIVATE KEY");
    // No temp key file is left behind (keys go to memory-backed /dev/shm while in use).
    for (const dir of ["/tmp", "/dev/shm"])
      expect(readdirSync(dir).filter((f) => f.startsWith(`nixlab-ssh-${process.pid}-`))).toEqual([]);

    expect((await provider.read(created.id, urn("remote"), created.outs)).id).toBe(created.id);
    // A host that cannot be reached is not a host without the path: refresh fails, keeps the copy.
    const unreachable = JSON.parse(JSON.stringify(created.outs)) as Record<string, unknown>;
    const wrapped = unreachable.ssh as { value: Record<string, unknown> };
    wrapped.value = { ...wrapped.value, port: await freePort(), connectTimeoutSeconds: 3 };
    await expect(provider.read(created.id, urn("remote"), unreachable)).rejects.toThrow(/could not check/);
    await execa("nix", ["store", "delete", "--store", remoteStore, storePath], { env: nixEnv() });
    expect((await provider.read(created.id, urn("remote"), created.outs)).id).toBe("");
  });

  test("an unknown host key is refused under strict checking", async () => {
    const { provider } = testProvider();
    const to = `ssh-ng://${sshd.user}@127.0.0.1?remote-store=${encodeURIComponent(`local?root=${path.join(work, "r2")}`)}`;
    const news = { storePath, to, ssh: { port: sshd.port, identityFile: sshd.identityFile, knownHosts: "" } };
    const { inputs } = await provider.check(urn("strict"), {}, news);
    await expect(provider.create(urn("strict"), inputs)).rejects.toThrow(/Host key verification failed/);
  });

  test("bad input: check names the field; a path missing locally fails before copying", async () => {
    const { provider } = testProvider();
    const bad = await provider.check(urn("bad"), {}, { storePath: "/tmp/x", to: "ftp://x" });
    expect(bad.failures).toEqual([
      { property: "storePath", reason: "must be a Nix store path (/nix/store/<hash>-<name>)" },
      {
        property: "to",
        reason: "must be ssh-ng://[user@]host, ssh://[user@]host, file:///dir or s3://bucket",
      },
    ]);
    const missing = "/nix/store/00000000000000000000000000000000-missing";
    const { inputs } = await provider.check(
      urn("missing"),
      {},
      { storePath: missing, to: `file://${work}/c2` },
    );
    await expect(provider.create(urn("missing"), inputs)).rejects.toThrow(
      `storePath ${missing} is not a valid path in the local store (build it first)`,
    );
  });
});
