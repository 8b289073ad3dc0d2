// A controller in a lab's hosts, through the real Pulumi engine: the host (a loopback sshd) gets
// its system copied and activated first (a fake system whose activation records its calls), and
// only then becomes a host of the lab: its network, the guest's closure and kernel copies and
// the guest's domain all wait for the activation.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { prepareActivationFixture } from "../support/nix-fixture";
import { testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { type LoopbackSshd, labHostSsh, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const stack = `test-${process.pid}-ctl`;
const guestName = `${testPrefix}ctl-guest`;

interface Resource {
  urn: string;
  type: string;
  dependencies?: string[];
  outputs: Record<string, unknown>;
}

describe("a controller host in a lab", () => {
  let work: string;
  let project: string;
  let sshd: LoopbackSshd;
  let p: PulumiSandbox;
  let callLog: string;
  const pulumi = (args: string[], reject = true) => p.run([...args, "-s", stack], { cwd: project, reject });

  beforeAll(async () => {
    work = makeWorkDir("hosts-controller");
    sshd = await startSshd(path.join(work, "sshd"));
    const fixture = prepareActivationFixture(work, path.join(work, "sshd", "sshd.pid"));
    callLog = fixture.callLog;
    project = rootProjectCopy(path.join(work, "project"), "demo");
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: path.join(work, "state") });
    await p.run(["stack", "init", stack], { cwd: project });
    const file = path.join(project, "stacks", `Pulumi.${stack}.yaml`);
    const doc = yaml.load(readFileSync(file, "utf8")) as Record<string, unknown>;
    const lab = {
      hosts: [
        {
          name: "ctl",
          ssh: labHostSsh(sshd),
          controller: {
            flake: `path:${fixture.flake}`,
            attribute: "packages.x86_64-linux.a",
            profile: path.join(work, "profiles", "system"),
            confirmTimeoutSeconds: 10,
          },
          capacity: { vcpus: 2, memoryMiB: 1024 },
        },
      ],
      guests: [
        { name: guestName, backend: "imageless", vcpus: 1, memoryMiB: 256, closure: { demoFixture: true } },
      ],
    };
    writeFileSync(file, yaml.dump({ ...doc, config: { "nixlab:lab": lab } }));
    await p.run(["config", "set", "--secret", "--path", "nixlab:hostKeys.ctl", "-s", stack], {
      cwd: project,
      input: readFileSync(sshd.identityFile, "utf8"),
    });
  });
  afterAll(async () => {
    await pulumi(["destroy", "--yes", "--skip-preview"], false);
    sweepLibvirtObjects(testPrefix);
    await sshd?.stop();
    removeWorkDir(work);
  });

  test("activation first, then the host's network, copies and guest; destroy keeps the controller", async () => {
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect(readFileSync(callLog, "utf8").trim().split("\n")).toEqual(["a switch"]);
    const guests = JSON.parse((await pulumi(["stack", "output", "guests", "--json"])).stdout) as Record<
      string,
      { ipAddress: string; consoleLog: string; host: string }
    >;
    const g = guests[guestName];
    expect(g?.host).toBe("ctl");
    expect((await waitForConsole(g?.consoleLog ?? "", /NIXLAB-DEMO-IP (\S+)/))[1]).toBe(g?.ipAddress);

    const state = JSON.parse((await pulumi(["stack", "export"])).stdout) as {
      deployment: { resources: Resource[] };
    };
    const rs = state.deployment.resources;
    const activation = rs.find((r) => r.type === "nixlab:host:Activation")?.urn ?? "";
    expect(activation).not.toBe("");
    // What the lab makes on the host waits for the activation: the network and every copy…
    const network = rs.find((r) => r.type === "nixlab:libvirt:Network");
    expect(network?.dependencies).toContain(activation);
    const copies = rs.filter((r) => r.type === "nixlab:nix:Copy" && !r.urn.endsWith("-closure"));
    expect(copies.map((c) => c.urn.split("::").pop()).sort()).toEqual([
      `lab-ctl-closure-${guestName}`,
      expect.stringMatching(/^lab-ctl-kernel-image-[0-9a-f]{10}$/),
      expect.stringMatching(/^lab-ctl-kernel-modules-[0-9a-f]{10}$/),
    ]);
    for (const c of copies) expect(c.dependencies).toContain(activation);
    // …and the domain waits for the copies.
    const domain = rs.find((r) => r.type === "nixlab:libvirt:Domain");
    for (const c of copies) expect(domain?.dependencies).toContain(c.urn);

    await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(readFileSync(callLog, "utf8").trim().split("\n")).toEqual(["a switch"]);
  });
});
