// A Lab's libvirt connection URI, taken apart before virsh sees it, so that a typo gets our
// message (naming the key) rather than virsh's. Form: qemu[+transport]://[user@][host][:port]/path[?query].
import * as z from "zod";

export interface LibvirtUri {
  transport?: string;
  user?: string;
  host?: string;
  port?: number;
  path: string;
  /** No host part: libvirtd on this machine, so local paths can be checked. */
  local: boolean;
}

/** Transports that reach another machine and so need a host name. */
const remoteTransports = ["ssh", "libssh", "libssh2", "tcp", "tls"];
const transports = ["unix", "ext", ...remoteTransports];
const example = "qemu:///system or qemu+ssh://root@host/system";

const shape =
  /^([A-Za-z][A-Za-z0-9]*)(?:\+([A-Za-z0-9]+))?:\/\/(?:([^@/?#\s]*)@)?([^:/?#\s]*)(?::([^/?#\s]*))?(\/[^?#\s]*)?(\?[^#\s]*)?$/;

/** The URI's parts, or why it is not one nixlab can use. */
export function parseLibvirtUri(uri: string): LibvirtUri | { problem: string } {
  const m = shape.exec(uri);
  if (!m) return { problem: `must be a libvirt URI such as ${example}` };
  const [, driver = "", transport, user, host = "", port, path = ""] = m;
  if (driver !== "qemu")
    return { problem: `must start with qemu (not ${driver}): nixlab runs QEMU guests, as in ${example}` };
  if (transport !== undefined && !transports.includes(transport))
    return {
      problem: `unknown transport +${transport}: use one of ${transports.map((t) => `+${t}`).join(" ")}`,
    };
  if (transport !== undefined && remoteTransports.includes(transport) && host === "")
    return { problem: `qemu+${transport}:// needs a host, as in qemu+${transport}://root@host/system` };
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port))
    return { problem: "the port after the host must be a number" };
  if (!["/system", "/session"].includes(path))
    return { problem: `the path must be /system or /session, as in ${example}` };
  return {
    ...(transport !== undefined ? { transport } : {}),
    ...(user ? { user } : {}),
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port: Number(port) } : {}),
    path,
    local: host === "",
  };
}

export const libvirtUri = z.string().superRefine((s, ctx) => {
  const r = parseLibvirtUri(s);
  if ("problem" in r) ctx.addIssue({ code: "custom", message: r.problem });
});
