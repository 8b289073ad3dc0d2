// Secret, unknown and output-value markers as the engine sends them to a provider that
// accepts secrets: secret inputs arrive wrapped, preview-time unknowns as a sentinel string.
import {
  specialOutputValueSig,
  specialSecretSig,
  specialSigKey,
  unknownValue,
} from "@pulumi/pulumi/runtime/rpc";

type Wrapped = Record<string, unknown>;

const signed = (v: unknown, sig: string): v is Wrapped =>
  typeof v === "object" && v !== null && (v as Wrapped)[specialSigKey] === sig;

export const isSecret = (v: unknown): v is Wrapped => signed(v, specialSecretSig);
export const isUnknown = (v: unknown): boolean => v === unknownValue;

export function secret(value: unknown): Wrapped {
  return { [specialSigKey]: specialSecretSig, value };
}

/**
 * Remove secret (and output-value) wrappers; report the top-level keys that held or contained
 * a secret, so the provider can mark what it derives from them secret again.
 */
export function unwrapSecrets(value: unknown): { plain: unknown; secretKeys: Set<string> } {
  const secretKeys = new Set<string>();
  const strip = (v: unknown, top?: string): unknown => {
    if (isSecret(v)) {
      if (top !== undefined) secretKeys.add(top);
      return strip(v.value, top);
    }
    if (signed(v, specialOutputValueSig)) {
      if (v.secret === true && top !== undefined) secretKeys.add(top);
      return "value" in v ? strip(v.value, top) : unknownValue;
    }
    if (Array.isArray(v)) return v.map((x) => strip(x, top));
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, top ?? k)]));
    }
    return v;
  };
  return { plain: strip(value), secretKeys };
}

/** Wrap the named top-level keys of `outs` as secrets, so the engine stores them encrypted. */
export function wrapSecrets(outs: Record<string, unknown>, keys: Iterable<string>): Record<string, unknown> {
  const result = { ...outs };
  for (const k of keys) {
    if (result[k] !== undefined && !isSecret(result[k])) result[k] = secret(result[k]);
  }
  return result;
}

/** Does the value contain an unknown anywhere (a preview whose inputs are not known yet)? */
export function containsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
  return false;
}
