// Several virsh commands in one virsh process: one connection to libvirtd instead of one per
// command, which is what a refresh or delete of many volumes (or a check of many domains) costs
// otherwise. virsh reads a single argument as a command string ("cmd a ; cmd b"), so each
// command's output is cut out by an `echo` of a random marker after it. Failing commands print
// nothing on stdout: their slot is null, and the caller asks again on its own for those (which
// tells "gone" from any other error). A command string is parsed by virsh like a shell line, so
// only plain tokens go into one: anything with quotes, spaces, `;`, `#`, `\` or `$` is run as
// its own argument array instead.
import { randomBytes } from "node:crypto";
import type { Virsh } from "./virsh";

const plainToken = /^[A-Za-z0-9_.,:+@%=/-]+$/;

/** Can this command go into a command string unchanged? */
export const scriptable = (command: readonly string[]): boolean =>
  command.length > 0 && command.every((t) => plainToken.test(t));

/** Commands per virsh process (a command string has no hard limit; this keeps it modest). */
const chunkSize = 64;

/**
 * One virsh command string for several plain-token commands (see `scriptable`), each followed by
 * an `echo` of a random marker; `outputs` cuts a run's stdout back into each command's text
 * (undefined for a command virsh never reached).
 */
export function commandScript(commands: readonly (readonly string[])[]): {
  text: string;
  outputs: (stdout: string) => (string | undefined)[];
} {
  const marker = `nixlab-${randomBytes(8).toString("hex")}`;
  const text = commands.map((c, k) => `${c.join(" ")} ; echo ${marker}-${k}-end`).join(" ; ");
  return {
    text,
    outputs(stdout) {
      let rest = stdout;
      return commands.map((_, k) => {
        const end = `${marker}-${k}-end`;
        const at = rest.indexOf(end);
        if (at < 0) {
          rest = "";
          return undefined;
        }
        const t = rest.slice(0, at);
        rest = rest.slice(at + end.length);
        return t;
      });
    },
  };
}

/**
 * Each command's stdout (null when it printed nothing: failed, or had nothing to say). Read-only
 * commands and refreshes only: a transient failure retries the whole string (Virsh.attempt).
 */
export async function virshEach(
  v: Virsh,
  commands: readonly (readonly string[])[],
): Promise<(string | null)[]> {
  const out: (string | null)[] = new Array(commands.length).fill(null);
  const batchable: number[] = [];
  const single: number[] = [];
  commands.forEach((c, i) => {
    (scriptable(c) ? batchable : single).push(i);
  });
  for (const i of single) {
    const r = await v.attempt(commands[i] as readonly string[]);
    out[i] = r.exitCode === 0 && r.stdout.trim() !== "" ? r.stdout : null;
  }
  for (let start = 0; start < batchable.length; start += chunkSize) {
    const part = batchable.slice(start, start + chunkSize);
    if (part.length === 1) {
      const i = part[0] as number;
      const r = await v.attempt(commands[i] as readonly string[]);
      out[i] = r.exitCode === 0 && r.stdout.trim() !== "" ? r.stdout : null;
      continue;
    }
    const script = commandScript(part.map((i) => commands[i] as readonly string[]));
    const r = await v.attempt([script.text]);
    const texts = script.outputs(r.stdout);
    part.forEach((i, k) => {
      const text = texts[k];
      // undefined: virsh stopped before this command (connection lost); the caller asks alone.
      out[i] = text === undefined || text.trim() === "" ? null : text;
    });
  }
  return out;
}

/**
 * Requests that arrive within `waitMs` of the first one for the same key are handled together
 * by `run`, which answers each (in order) with a promise of its own. A request made while a batch
 * is already running waits for the next one, so every answer is read after it was asked for.
 */
export class Gatherer<Req, Res> {
  private readonly pending = new Map<string, { reqs: Req[]; answers: Deferred<Res>[] }>();

  constructor(
    private readonly waitMs: number,
    private readonly run: (key: string, reqs: Req[]) => Promise<Promise<Res>[]>,
  ) {}

  request(key: string, req: Req): Promise<Res> {
    let p = this.pending.get(key);
    if (!p) {
      const batch = { reqs: [] as Req[], answers: [] as Deferred<Res>[] };
      p = batch;
      this.pending.set(key, batch);
      setTimeout(() => {
        this.pending.delete(key);
        void this.flush(key, batch);
      }, this.waitMs);
    }
    const d = deferred<Res>();
    p.reqs.push(req);
    p.answers.push(d);
    return d.promise;
  }

  private async flush(key: string, batch: { reqs: Req[]; answers: Deferred<Res>[] }): Promise<void> {
    try {
      const results = await this.run(key, batch.reqs);
      batch.answers.forEach((d, i) => {
        (results[i] ?? Promise.reject(new Error("no answer for a batched request"))).then(
          d.resolve,
          d.reject,
        );
      });
    } catch (err) {
      for (const d of batch.answers) d.reject(err);
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (v: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
