// A throw-away sshd on loopback: its own port, host key, client key and config. Stands in for a
// remote host (controller, baremetal) in tests.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { execa, type ResultPromise } from "execa";

export interface LoopbackSshd {
  port: number;
  user: string;
  host: string;
  /** Client private key that the server accepts. */
  identityFile: string;
  knownHostsFile: string;
  /** ssh options that reach this server: pass after `ssh`. */
  sshArgs: string[];
  stop(): Promise<void>;
}

/** A Lab host's `ssh` settings that reach this server (the key goes in nixlab:hostKeys). */
export const labHostSsh = (sshd: LoopbackSshd) => ({
  address: sshd.host,
  port: sshd.port,
  user: sshd.user,
  knownHosts: readFileSync(sshd.knownHostsFile, "utf8"),
});

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function startSshd(dir: string): Promise<LoopbackSshd> {
  mkdirSync(dir, { recursive: true });
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege-separation dir sshd insists on
  const hostKey = path.join(dir, "host_ed25519");
  const identityFile = path.join(dir, "client_ed25519");
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", identityFile]);
  const authorized = path.join(dir, "authorized_keys");
  const { stdout: pub } = await execa("cat", [`${identityFile}.pub`]);
  writeFileSync(authorized, `${pub}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const { stdout: hostPub } = await execa("cat", [`${hostKey}.pub`]);
  const knownHostsFile = path.join(dir, "known_hosts");
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`);
  const proc: ResultPromise = execa("/usr/sbin/sshd", ["-D", "-e", "-f", config], {
    reject: false,
    stdio: "ignore",
  });
  const user = process.env.USER ?? "root";
  const sshArgs = [
    "-p",
    String(port),
    "-i",
    identityFile,
    "-o",
    `UserKnownHostsFile=${knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
  ];
  const handle: LoopbackSshd = {
    port,
    user,
    host: "127.0.0.1",
    identityFile,
    knownHostsFile,
    sshArgs,
    async stop() {
      proc.kill("SIGTERM");
      await proc;
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await execa("ssh", [...sshArgs, `${user}@127.0.0.1`, "true"], {
      reject: false,
      timeout: 10_000,
    });
    if (r.exitCode === 0) return handle;
    if (Date.now() > deadline || (proc.exitCode !== undefined && proc.exitCode !== null)) {
      await handle.stop();
      throw new Error(`sshd on port ${port} did not accept a login: ${r.stderr}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
