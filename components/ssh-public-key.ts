// One OpenSSH authorized_keys line, checked before it can reach a generated flake (and so the Nix
// store): a public key, never a private one. Messages never quote the value: a pasted private
// key must not end up in a log either.
import * as z from "zod";

/** Key types OpenSSH accepts in authorized_keys, with the size of an ed25519 key's point. */
const keyTypes = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
] as const;

/** PEM/OpenSSH/PuTTY private key markers, and the base64 of "openssh-key-v1" (a private key's body). */
const privateMarkers = [/PRIVATE KEY/, /PuTTY-User-Key-File/, /\bb3BlbnNzaC1rZXktdjE/];

/** authorized_keys options before the key type: `restrict,from="10.0.0.0/8",command="…"`. */
const option = String.raw`[A-Za-z][A-Za-z0-9-]*(?:="(?:[^"\\]|\\.)*")?`;
const keyPart = String.raw`(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+.*)?$`;
const bare = new RegExp(`^${keyPart}`);
const withOptions = new RegExp(String.raw`^${option}(?:,${option})*\s+${keyPart}`);
const known = (type: string | undefined): type is string =>
  type !== undefined && (keyTypes as readonly string[]).includes(type);

/** Why `s` is not one public key line, or undefined when it is. */
export function publicKeyProblem(s: string): string | undefined {
  if (privateMarkers.some((m) => m.test(s)))
    return "is a private key, refused: put its public half here (`ssh-keygen -y -f KEYFILE` prints it) and remove the private key from the stack config";
  // A newline would add a second authorized_keys line; other control characters have no place either.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(s)) return "must be one line without control characters";
  // A line starting with a key type has no options (a comment can look like base64).
  const b = bare.exec(s.trim());
  const m = known(b?.[1]) ? b : withOptions.exec(s.trim());
  const type = m?.[1];
  if (!m || !known(type))
    return `must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ${keyTypes.join(", ")}`;
  // The blob starts with its own type as a length-prefixed string; ed25519's point is 32 bytes.
  const blob = Buffer.from(m[2] ?? "", "base64");
  const n = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (n !== type.length || blob.subarray(4, 4 + n).toString("latin1") !== type)
    return `must be an OpenSSH public key line: its base64 part is not a ${type} key`;
  if (type === "ssh-ed25519" && (blob.length !== 4 + n + 4 + 32 || blob.readUInt32BE(4 + n) !== 32))
    return "must be an OpenSSH public key line: its base64 part is not a whole ssh-ed25519 key";
  return undefined;
}

export const sshPublicKey = z.string().superRefine((s, ctx) => {
  const problem = publicKeyProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
