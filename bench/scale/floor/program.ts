// The engine-floor program: the resource tree of a lab of N demo guests (a Lab component, a
// network, a closure component with its build, and per guest a component with its domain, whose
// inputs wait on the build's output as a guest's boot files do), made of no-op resources.
import * as pulumi from "@pulumi/pulumi";

class Noop extends pulumi.CustomResource {
  declare readonly out: pulumi.Output<string>;
  constructor(
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super("benchfloor:index:Noop", name, { ...props, out: undefined }, opts);
  }
}

/** A component that registers its outputs, as nixlab's components do. */
class Component extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`benchfloor:index:${type}`, name, {}, opts);
  }
  done(outputs: Record<string, unknown>): void {
    this.registerOutputs(outputs);
  }
}

const guests = new pulumi.Config().requireNumber("guests");
const lab = new Component("Lab", "lab");
new Noop("lab-network", { name: "default", existing: true }, { parent: lab });
const closure = new Component("Closure", "closure", { parent: lab });
const build = new Noop(
  "closure",
  { flake: "path:/dev/null", attribute: "packages.x86_64-linux.default" },
  { parent: closure },
);
closure.done({ out: build.out });
const outs: Record<string, pulumi.Output<string>> = {};
for (let i = 1; i <= guests; i++) {
  const guest = new Component("Guest", `guest-${i}`, { parent: lab });
  const domain = new Noop(
    `guest-${i}`,
    { name: `guest-${i}`, memoryMiB: 256, initrd: build.out.apply((o) => `${o}/initrd`) },
    { parent: guest },
  );
  guest.done({ out: domain.out });
  outs[`guest-${i}`] = domain.out;
}
lab.done({ guests: outs });
export const guestsOut = outs;
