# An evaluation-time kernel configuration, for systems whose kernel NixOS does not build.
# Builtins only.
#
# NixOS modules ask `config.system.build.kernel.config` questions such as "is MODULES set,
# and to y?" (the systemd initrd does, since nixpkgs PR #411792, to decide whether the
# initrd ships a /lib with kernel modules). With `boot.kernel.enable = false` NixOS never
# defines `system.build.kernel`, so that question fails evaluation with "attribute 'kernel'
# missing" (nixpkgs issue #467069). The imageless backend answers it with this stand-in.
#
# `fromValues { MODULES = "n"; }` gives an attribute set with the same query functions as
# the `config` passthru of a nixpkgs kernel (isSet, getValue, isYes, isNo, isModule,
# isEnabled, isDisabled) plus the raw `CONFIG_<name>` attributes, so whichever of them a
# nixpkgs module uses, it gets a consistent answer. Names not given are "not set".
let
  attrName = name: "CONFIG_${name}";
in
{
  fromValues =
    values:
    let
      raw = builtins.listToAttrs (
        map (name: {
          name = attrName name;
          value = values.${name};
        }) (builtins.attrNames values)
      );
      isSet = name: raw ? ${attrName name};
      getValue = name: if isSet name then raw.${attrName name} else null;
      isYes = name: getValue name == "y";
      isNo = name: getValue name == "n";
      isModule = name: getValue name == "m";
    in
    raw
    // {
      inherit
        isSet
        getValue
        isYes
        isNo
        isModule
        ;
      isEnabled = name: isYes name || isModule name;
      isDisabled = name: !(isSet name) || isNo name;
    };

  # What the imageless backend's kernel looks like to NixOS: no loadable-module support in
  # anything NixOS builds. The host's kernel does load modules, but from /lib/modules over
  # virtiofs after switch-root, never from the initrd.
  imageless = {
    MODULES = "n";
  };
}
