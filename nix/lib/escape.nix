# systemd unit-name escaping, written with builtins only so it can be evaluated and tested
# without nixpkgs.
#
# It follows `systemd-escape --path` (systemd's unit_name_path_escape):
#   1. the path is simplified: repeated "/" collapse, "." components and a trailing "/" go;
#   2. "/" alone becomes "-";
#   3. otherwise the leading "/" is dropped, every remaining "/" becomes "-", a leading "."
#      becomes "\x2e", and every byte outside [A-Za-z0-9:_.] (so also "-", "\" and " ")
#      becomes "\xNN" with two lower-case hex digits.
#
# systemd-fstab-generator names the mount unit of a fileSystems entry this way, so
# ordering a service against "<escaped mount point>.mount" only works if this matches it
# byte for byte. Only printable ASCII is handled; anything else is rejected with a message
# (a Nix string cannot be indexed by code point without nixpkgs, and such mount points are
# not worth the trouble).
let
  printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  hexDigits = [
    "0"
    "1"
    "2"
    "3"
    "4"
    "5"
    "6"
    "7"
    "8"
    "9"
    "a"
    "b"
    "c"
    "d"
    "e"
    "f"
  ];
  hexByte = n: builtins.elemAt hexDigits (n / 16) + builtins.elemAt hexDigits (n - (n / 16) * 16);

  # "a" -> "61": every printable ASCII character mapped to its code in hex.
  hexOf = builtins.listToAttrs (
    builtins.genList (i: {
      name = builtins.substring i 1 printable;
      value = hexByte (32 + i);
    }) (builtins.stringLength printable)
  );

  chars = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);

  isPrintableAscii = s: builtins.all (c: hexOf ? ${c}) (chars s);

  # Characters systemd keeps as they are (besides "/", which becomes "-").
  isKept = c: builtins.match "[A-Za-z0-9:_.]" c != null;

  escapeChar =
    index: c:
    if c == "/" then
      "-"
    else if c == "." && index == 0 then
      "\\x2e"
    else if isKept c then
      c
    else
      "\\x${hexOf.${c}}";

  # The non-empty, non-"." components of an absolute path; throws on "..".
  components =
    what: path:
    let
      parts = builtins.filter (p: builtins.isString p && p != "" && p != ".") (builtins.split "/" path);
    in
    if !(builtins.isString path) then
      throw "${what}: expected an absolute path (a string starting with /), got a ${builtins.typeOf path}"
    else if builtins.substring 0 1 path != "/" then
      throw "${what}: expected an absolute path (starting with /), got \"${path}\""
    else if !(isPrintableAscii path) then
      throw "${what}: only printable ASCII is supported in paths, got \"${path}\""
    else if builtins.elem ".." parts then
      throw "${what}: \"..\" is not allowed in paths, got \"${path}\""
    else
      parts;

  # "/mnt//a/./b/" -> "/mnt/a/b"; "/" stays "/".
  normalisePathAs = what: path: "/" + builtins.concatStringsSep "/" (components what path);

  # The body of a unit name for a path, as `systemd-escape --path` prints it.
  escapePathAs =
    what: path:
    let
      body = builtins.concatStringsSep "/" (components what path);
      cs = chars body;
    in
    if body == "" then "-" else builtins.concatStringsSep "" (builtins.genList (i: escapeChar i (builtins.elemAt cs i)) (builtins.length cs));

  escapePath = escapePathAs "path";
in
{
  inherit
    isPrintableAscii
    escapePath
    escapePathAs
    normalisePathAs
    ;

  normalisePath = normalisePathAs "path";

  # "/mnt/scratch" -> "mnt-scratch.mount"
  mountUnit = where: "${escapePath where}.mount";

  # "/dev/disk/by-id/virtio-x" -> "dev-disk-by\x2did-virtio\x2dx.device"
  deviceUnit = device: "${escapePath device}.device";
}
