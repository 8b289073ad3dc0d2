// nixlab:host:Activation — makes a closure the running system of a host over SSH: set the
// system profile, run `<closure>/bin/switch-to-configuration <action>`, then prove that the host
// still answers SSH on a new connection. On failure it switches back to the previous generation
// (see activation-script.ts for the two halves of the rollback).
//
// Delete leaves the host on whatever generation it runs (onDelete "keep", the default): removing
// a resource from a stack must not reconfigure a machine someone may be using. With onDelete
// "rollback" it switches back to the generation that was active before this resource's first
// activation.
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import * as z from "zod";
import type { RunResult } from "../exec";
import { storePath } from "../nix/store-path";
import { type Context, type ResourceDefinition, same } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import {
  actions,
  activateScript,
  confirmScript,
  currentGenerationScript,
  rolledBackScript,
  setsProfile,
} from "./activation-script";
import {
  destination,
  remoteCommand,
  type SshConnection,
  sshConnection,
  sshOptions,
  withSshMaterial,
} from "./ssh";

const absolute = z.string().refine((p) => path.isAbsolute(p), "must be an absolute path");

/** The host is another machine when its address, user or port changes: that replaces. */
const hostConnection = sshConnection
  .extend({
    host: sshConnection.shape.host.meta({ description: "Host name or IP address.", replaceOnChanges: true }),
    user: sshConnection.shape.user.meta({ description: "User to log in as.", replaceOnChanges: true }),
    port: sshConnection.shape.port.meta({ description: "SSH port.", replaceOnChanges: true }),
  })
  .meta({ typeName: "SshConnection" });

export const activationInputs = z
  .object({
    connection: hostConnection.meta({
      description:
        "The host. A new host, user or port replaces the resource; new credentials update it without activating again.",
      secret: true,
    }),
    closure: storePath.meta({
      description: "The system closure (already copied to the host, e.g. by nixlab:nix:Copy).",
    }),
    action: z.enum(actions).default("switch").meta({
      description: "`switch-to-configuration` action; switch and boot also set the profile.",
      typeName: "ActivationAction",
    }),
    profile: absolute.default("/nix/var/nix/profiles/system").meta({ description: "The system profile." }),
    rollback: z.boolean().default(true).meta({
      description:
        "Switch back to the previous generation when the activation fails or the host does not answer a new SSH login in time.",
    }),
    confirmTimeoutSeconds: z.number().int().min(1).max(3600).default(60).meta({
      description: "How long the host has to answer a new SSH connection after activating.",
    }),
    onDelete: z.enum(["keep", "rollback"]).default("keep").meta({
      description:
        "keep: delete leaves the host on its generation; rollback: switch back to the one active before the first activation.",
      typeName: "ActivationOnDelete",
    }),
    sudo: z
      .boolean()
      .optional()
      .meta({ description: "Prefix remote commands with `sudo -n` (default: when the user is not root)." }),
    remoteTmpDir: absolute
      .default("/tmp")
      .meta({ description: "Where the confirmation files live on the host." }),
    activationTimeoutSeconds: z.number().int().min(10).max(86_400).default(1800).meta({
      description: "How long switch-to-configuration may run before the deployment gives up on it.",
    }),
  })
  .strict();
export type ActivationInputs = z.infer<typeof activationInputs>;

export const activationDeclaration = declareResource({
  token: "nixlab:host:Activation",
  description:
    "Makes a closure the running system of a host over SSH, rolling back when it fails or the host goes dark.",
  inputs: activationInputs,
  outputs: z.object({
    previous: z
      .string()
      .meta({ description: 'The generation that was active before the first activation ("" if none).' }),
  }),
});

export type ActivationState = StateOf<typeof activationDeclaration>;

/** Grace between the deployer giving up and the host's watchdog acting. */
const watchdogGraceSeconds = 15;

class Remote {
  constructor(
    private readonly ctx: Context,
    private readonly conn: SshConnection,
    private readonly opts: string[],
    private readonly sudo: boolean,
  ) {}

  run(script: string, args: string[], timeoutMs?: number): Promise<RunResult> {
    const argv = [...(this.sudo ? ["sudo", "-n"] : []), "sh", "-c", script, "sh", ...args];
    return this.ctx.run("ssh", [...this.opts, destination(this.conn), "--", remoteCommand(argv)], {
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  async must(script: string, args: string[], what: string): Promise<string> {
    const r = await this.run(script, args);
    if (r.exitCode !== 0) {
      throw new Error(
        `${what} on ${destination(this.conn)}:${this.conn.port} failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
      );
    }
    return r.stdout.trim();
  }
}

async function withRemote<T>(
  ctx: Context,
  i: { connection: SshConnection; sudo?: boolean | undefined },
  fn: (r: Remote) => Promise<T>,
): Promise<T> {
  const sudo = i.sudo ?? i.connection.user !== "root";
  return withSshMaterial(i.connection, (m) =>
    fn(new Remote(ctx, i.connection, sshOptions(i.connection, m), sudo)),
  );
}

const tail = (s: string, n = 15): string => s.trim().split("\n").slice(-n).join("\n");

async function activate(
  ctx: Context,
  i: ActivationInputs,
  previousForState?: string,
): Promise<ActivationState> {
  return withRemote(ctx, i, async (remote) => {
    const host = destination(i.connection);
    const prev = await remote.must(currentGenerationScript, [i.profile], "reading the current generation");
    const confirm = path.posix.join(i.remoteTmpDir, `nixlab-activation-${randomBytes(8).toString("hex")}`);
    ctx.log.status(`activating ${i.closure} on ${host} (${i.action})`);
    const armed = i.rollback && prev ? "1" : "0";
    let r: RunResult;
    try {
      r = await remote.run(
        activateScript,
        [
          i.profile,
          i.closure,
          i.action,
          prev,
          confirm,
          String(i.confirmTimeoutSeconds + watchdogGraceSeconds),
          setsProfile(i.action) ? "1" : "0",
          i.rollback ? "1" : "0",
        ],
        i.activationTimeoutSeconds * 1000,
      );
    } catch (err) {
      const fallback =
        armed === "1" ? `its watchdog switches it back to ${prev} unless confirmed` : "nothing rolls it back";
      throw new Error(
        `activation of ${i.closure} on ${host} did not finish within activationTimeoutSeconds (${i.activationTimeoutSeconds} s); ${fallback}: ${String(err)}`,
      );
    }
    const output = `${r.stdout}\n${r.stderr}`;
    if (r.exitCode === 10) {
      throw new Error(
        `activation of ${i.closure} on ${host} failed; rolled back to ${prev}:\n${tail(output)}`,
      );
    }
    if (r.exitCode !== 0 && r.exitCode !== 255) {
      const why = !i.rollback
        ? "rollback is off"
        : prev
          ? "the rollback failed too"
          : "there is no previous generation";
      throw new Error(
        `activation of ${i.closure} on ${host} failed (exit ${r.exitCode}); not rolled back: ${why}:\n${tail(output)}`,
      );
    }
    // Exit 255: ssh lost the connection during the activation. Either way, a new login decides.
    const deadline = Date.now() + i.confirmTimeoutSeconds * 1000;
    for (;;) {
      const c = await remote.run(confirmScript, [confirm, armed], i.confirmTimeoutSeconds * 1000);
      if (c.exitCode === 0) break;
      if (Date.now() >= deadline) {
        const fallback =
          i.rollback && prev ? `its watchdog switches it back to ${prev}` : "nothing will roll it back";
        throw new Error(
          `${host} did not answer SSH within ${i.confirmTimeoutSeconds} s after activating ${i.closure}; ${fallback}. Last ssh error: ${c.stderr.trim()}`,
        );
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    const rolledBack = (await remote.run(rolledBackScript, [confirm])).stdout.trim();
    if (rolledBack)
      throw new Error(`${host} rolled back to ${prev} before the confirmation arrived: ${rolledBack}`);
    ctx.log.info(`${host} runs ${i.closure} (${i.action})`);
    return { ...i, previous: previousForState ?? prev };
  });
}

export const activationResource: ResourceDefinition<ActivationInputs, ActivationState> = {
  declaration: activationDeclaration,

  async diff(_ctx, _id, olds, news) {
    return declaredDiff(activationDeclaration, olds, news);
  },

  async create(ctx, news) {
    const state = await activate(ctx, news);
    return { id: `${destination(news.connection)}:${news.connection.port}${news.profile}`, state };
  },

  async read(ctx, id, state) {
    if (!setsProfile(state.action)) return { id, state }; // test/dry-activate leave no trace in the profile
    const current = await withRemote(ctx, state, (remote) =>
      remote.must(currentGenerationScript, [state.profile], "reading the current generation"),
    );
    // Someone switched the host to another generation: show it, so the next update re-activates.
    return { id, state: { ...state, closure: current } };
  },

  async update(ctx, _id, olds, news) {
    // New credentials for the same host and system (a rotated key): nothing to switch.
    const sameSystem = (["closure", "action", "profile"] as const).every((k) => same(olds[k], news[k]));
    if (sameSystem) {
      ctx.log.info("only connection settings changed: the host is not activated again");
      return { ...news, previous: olds.previous };
    }
    return activate(ctx, news, olds.previous);
  },

  async delete(ctx, _id, state) {
    if (state.onDelete !== "rollback" || !state.previous) return;
    await activate(ctx, { ...state, closure: state.previous, rollback: false });
  },
};
