// The `hosts` of a lab config and the per-stack names of pools and networks: what is accepted,
// what is refused (with the key named), and the defaults.
import { labConfig } from "../../components/lab-config";
import { stackObjectName, stackPool } from "../../components/stack-names";
import { ConfigError, validate } from "../../components/validate";

const demo = (name: string, extra: object = {}) => ({
  name,
  backend: "imageless",
  memoryMiB: 256,
  vcpus: 1,
  closure: { demoFixture: true },
  ...extra,
});
const knownHosts =
  "[10.0.0.2]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvJ0e2oU2t8c3m3eS5zv5oM0yq0P0q0Y9Fq8p9m0b1a";
const here = { name: "here", capacity: { vcpus: 2, memoryMiB: 2048 } };
const far = {
  name: "far",
  ssh: { address: "10.0.0.2", port: 2222, knownHosts },
  capacity: { vcpus: 8, memoryMiB: 16384 },
};

const problems = (config: unknown): string[] => {
  try {
    validate(labConfig, config, "nixlab:lab");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe("hosts", () => {
  test("a local and a remote host; guests may name theirs", () => {
    const cfg = validate(
      labConfig,
      { hosts: [here, far], guests: [demo("a", { host: "far" }), demo("b")] },
      "nixlab:lab",
    );
    expect(cfg.hosts).toEqual([
      here,
      {
        ...far,
        ssh: { address: "10.0.0.2", user: "root", port: 2222, knownHosts, hostKeyChecking: "strict" },
      },
    ]);
    expect(cfg.guests.map((g) => g.host)).toEqual(["far", undefined]);
  });

  test.each<[string, unknown, string[]]>([
    [
      "a guest names a host that is not listed",
      { hosts: [here], guests: [demo("a", { host: "elsewhere" })] },
      ["nixlab:lab.guests[0].host: names no host in hosts (here)"],
    ],
    [
      "a guest names a host without hosts",
      { guests: [demo("a", { host: "far" })] },
      ["nixlab:lab.guests[0].host: only applies with hosts"],
    ],
    [
      "two hosts of one name, two local hosts",
      { hosts: [here, { ...here }], guests: [demo("a")] },
      [
        "nixlab:lab.hosts[1].name: here is already hosts[0]'s name",
        "nixlab:lab.hosts[1]: only one host can be this machine (no ssh): hosts[0] is already",
      ],
    ],
    [
      "an ssh host without its host key; a capacity without memory",
      {
        hosts: [{ name: "far", ssh: { address: "10.0.0.2" }, capacity: { vcpus: 2 } }],
        guests: [demo("a")],
      },
      [
        "nixlab:lab.hosts[0].ssh.knownHosts: is required: the host's public key, as ssh-keyscan prints it (or hostKeyChecking: accept-new)",
        "nixlab:lab.hosts[0].capacity.memoryMiB: Invalid input: expected number, received undefined",
      ],
    ],
    [
      "a store on another host, a controller without ssh, a private key in the config",
      {
        hosts: [
          { ...far, nixStore: "ssh-ng://root@10.0.0.3" },
          { ...here, controller: { flake: "path:/x", attribute: "a" } },
          {
            ...far,
            name: "far2",
            ssh: { ...far.ssh, address: "10.0.0.3", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
          },
        ],
        guests: [demo("a")],
      },
      [
        "nixlab:lab.hosts[0].nixStore: must reach the same host as ssh (root@10.0.0.2)",
        "nixlab:lab.hosts[1].controller: needs ssh (the host to activate)",
        'nixlab:lab.hosts[2].ssh: Unrecognized key: "privateKey"',
      ],
    ],
    [
      "two hosts reached the same way",
      { hosts: [far, { ...far, name: "far2" }], guests: [demo("a")] },
      ["nixlab:lab.hosts[1].ssh: reaches the same machine as hosts[0] (root@10.0.0.2:2222): list it once"],
    ],
    [
      "an empty list",
      { hosts: [], guests: [demo("a")] },
      ["nixlab:lab.hosts: must list at least one host (or leave hosts out)"],
    ],
  ])("refused: %s", (_what, config, want) => {
    expect(problems(config)).toEqual(want);
  });
});

describe("per-stack names", () => {
  test("names from stack names: kept when they are already safe, else made safe with a hash", () => {
    expect(stackObjectName("dev")).toBe("nixlab-dev");
    expect(stackObjectName("fstests-xfs")).toBe("nixlab-fstests-xfs");
    expect(stackObjectName("My_Stack")).toMatch(/^nixlab-my-stack-[0-9a-f]{8}$/);
    expect(stackObjectName("my.stack")).not.toBe(stackObjectName("my_stack"));
    expect(stackObjectName("x".repeat(80))).toMatch(/^nixlab-x{36}-[0-9a-f]{8}$/);
    expect(stackPool("dev")).toEqual({ name: "nixlab-dev", path: "/var/lib/nixlab/pools/dev" });
  });

  // Outside the engine Pulumi's stack name is "stack".
  test("the pool and a created network are the stack's; an existing network or pool is adopted by name", () => {
    const drives = { drives: [{ name: "t", size: "1G" }] };
    expect(validate(labConfig, { guests: [demo("a", drives)] }, "nixlab:lab")).toMatchObject({
      pool: { name: "nixlab-stack", path: "/var/lib/nixlab/pools/stack", existing: false },
      network: { name: "default" },
    });
    expect(
      validate(
        labConfig,
        {
          network: { address: "192.168.150.1/24" },
          pool: { path: "/srv/pool" },
          guests: [demo("a", drives)],
        },
        "nixlab:lab",
      ),
    ).toMatchObject({
      pool: { name: "nixlab-stack", path: "/srv/pool", existing: false },
      network: { name: "nixlab-stack", address: "192.168.150.1/24" },
    });
    expect(
      validate(
        labConfig,
        { pool: { name: "shared", existing: true }, guests: [demo("a", drives)] },
        "nixlab:lab",
      ),
    ).toMatchObject({ pool: { name: "shared", existing: true } });
    expect(problems({ pool: { existing: true, path: "/x" }, guests: [demo("a", drives)] })).toEqual([
      "nixlab:lab.pool.name: is required to adopt an existing pool",
      "nixlab:lab.pool.path: cannot be set for an existing pool",
    ]);
  });
});
