// The nixlab provider: dispatches the engine's CRUD calls to resource definitions by type
// token, handling secrets (unwrap on the way in, re-mark on the way out), preview unknowns, and
// input validation in Check so that bad input fails before anything is created. Its schema and
// per-property diffs come from the resources' declarations.
import type * as provider from "@pulumi/pulumi/provider";
import { type DetailedDiffResult, toDiffResult } from "./detailed-diff";
import { engineLogger } from "./engine-log";
import { execaRunner, type Runner } from "./exec";
import {
  type AnyResourceDefinition,
  type Context,
  type Diff,
  FailedWithState,
  same,
  zodFailures,
} from "./resource";
import { keysOf, mayReplace } from "./schema/declare";
import { packageSchema } from "./schema/package-schema";
import { containsUnknown, isUnknown, unwrapSecrets, wrapSecrets } from "./secrets";

type Props = Record<string, unknown>;

const tokenOf = (urn: string): string => urn.split("::")[2]?.split("$").pop() ?? "";
const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;

/** Drop the issues whose path leads into a value that is unknown at preview time. */
function pathIsUnknown(value: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = value;
  for (const p of path) {
    if (isUnknown(cur)) return true;
    if (typeof cur !== "object" || cur === null) return false;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return isUnknown(cur);
}

export class NixlabProvider implements provider.Provider {
  private readonly types = new Map<string, AnyResourceDefinition>();

  constructor(
    readonly version: string,
    definitions: AnyResourceDefinition[],
    private readonly run: Runner = execaRunner,
  ) {
    for (const d of definitions) this.types.set(d.declaration.token, d);
  }

  async getSchema(): Promise<string> {
    return JSON.stringify(
      packageSchema(
        [...this.types.values()].map((d) => d.declaration),
        this.version,
      ),
    );
  }

  private definition(urn: string): AnyResourceDefinition {
    const token = tokenOf(urn);
    const def = this.types.get(token);
    if (!def) throw new Error(`nixlab provider: unknown resource type ${token}`);
    return def;
  }

  private context(urn: string): Context {
    return { urn, name: nameOf(urn), log: engineLogger(urn), run: this.run };
  }

  /** Unwrap secrets; the keys to mark secret again are those that were, plus the declared secrets. */
  private unwrap(def: AnyResourceDefinition, raw: Props): { plain: unknown; secretKeys: Set<string> } {
    const { plain, secretKeys } = unwrapSecrets(raw);
    for (const k of keysOf(def.declaration).secret) secretKeys.add(k);
    return { plain, secretKeys };
  }

  /** Unwrap secrets and parse inputs that Check already validated. */
  private parse(def: AnyResourceDefinition, raw: Props): { inputs: unknown; secretKeys: Set<string> } {
    const { plain, secretKeys } = this.unwrap(def, raw);
    return { inputs: def.declaration.inputs.parse(plain), secretKeys };
  }

  private outs(state: Props, secretKeys: Set<string>): Props {
    return wrapSecrets(state, secretKeys);
  }

  /** A FailedWithState becomes the SDK's "created but failed to initialise" error: state kept, update failed. */
  private initError(err: unknown, secretKeys: Set<string>): unknown {
    if (!(err instanceof FailedWithState)) return err;
    return Object.assign(new Error(err.message), {
      id: err.id,
      properties: this.outs(err.state, secretKeys),
      reasons: [err.message],
    });
  }

  async check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    const def = this.definition(urn);
    const { plain, secretKeys } = this.unwrap(def, news);
    const parsed = def.declaration.inputs.safeParse(plain);
    if (!parsed.success) {
      const issues = parsed.error.issues.filter((i) => !pathIsUnknown(plain, i.path));
      const failures = zodFailures({ ...parsed.error, issues } as typeof parsed.error);
      return failures.length > 0 || !containsUnknown(plain) ? { inputs: news, failures } : { inputs: news };
    }
    // Preflights see preview placeholders (isUnknown) and skip what is not known yet; they also
    // run when other values are unknown, since they record what the deployment declares.
    if (def.preflight) {
      const failures = await def.preflight(this.context(urn), parsed.data);
      if (failures.length > 0) return { inputs: news, failures };
    }
    return { inputs: this.outs(parsed.data as Props, secretKeys) };
  }

  async diff(id: string, urn: string, olds: Props, news: Props): Promise<DetailedDiffResult> {
    const def = this.definition(urn);
    const { plain: oldState } = unwrapSecrets(olds);
    const { plain: newPlain } = unwrapSecrets(news);
    const before = oldState as Props;
    let d: Diff;
    if (containsUnknown(newPlain)) {
      // Not everything is known yet: whatever is unknown may change.
      const changed = Object.keys(newPlain as Props).filter((k) => !same((newPlain as Props)[k], before[k]));
      const replaces = changed.filter((k) => mayReplace(def.declaration, k));
      d = { changes: changed.length > 0, replaces, updates: changed.filter((k) => !replaces.includes(k)) };
    } else {
      const { inputs } = this.parse(def, news);
      d = await def.diff(this.context(urn), id, before, inputs);
    }
    const result = toDiffResult(d, before, newPlain as Props, def.declaration.deleteBeforeReplace ?? false);
    const why = Object.entries(result.detailedDiff)
      .filter(([, kind]) => kind.endsWith("-replace"))
      .map(([path]) => path);
    if (why.length > 0)
      this.context(urn).log.info(`replaced because ${why.join(", ")} cannot change in place`);
    return result;
  }

  async create(urn: string, news: Props): Promise<provider.CreateResult> {
    const def = this.definition(urn);
    const { inputs, secretKeys } = this.parse(def, news);
    try {
      const { id, state } = await def.create(this.context(urn), inputs);
      return { id, outs: this.outs(state, secretKeys) };
    } catch (err) {
      throw this.initError(err, secretKeys);
    }
  }

  async read(id: string, urn: string, props: Props = {}): Promise<provider.ReadResult> {
    const def = this.definition(urn);
    const { plain, secretKeys } = this.unwrap(def, props);
    const r = await def.read(this.context(urn), id, plain as Props);
    // An empty ID tells the engine the resource is gone (refresh then drops it from the state).
    if (!r) return { id: "", props: {} };
    return { id: r.id, props: this.outs(r.state, secretKeys) };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const def = this.definition(urn);
    const { plain: oldState } = unwrapSecrets(olds);
    const { inputs, secretKeys } = this.parse(def, news);
    try {
      const state = await def.update(this.context(urn), id, oldState as Props, inputs);
      return { outs: this.outs(state, secretKeys) };
    } catch (err) {
      throw this.initError(err, secretKeys);
    }
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    const def = this.definition(urn);
    const { plain } = unwrapSecrets(props);
    await def.delete(this.context(urn), id, plain as Props);
  }
}
