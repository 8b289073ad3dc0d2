# A small stand-in for the few nixpkgs `lib` functions nixlab's NixOS modules use, so the
# tests can call a module function directly and look at the configuration it returns
# (no nixpkgs here). The override and mkIf shapes are nixpkgs' own (lib/modules.nix), so a
# test sees the priority each definition was given.
let
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  # Option types only need to exist here; modules are not type-checked by this stub.
  type = name: { _type = "option-type"; inherit name; };
  typeFn = name: _: type name;
in
{
  inherit mkOverride;
  mkDefault = mkOverride 1000;
  mkImageMediaOverride = mkOverride 60;
  mkForce = mkOverride 50;
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkOption = decl: decl // { _type = "option"; };
  mkEnableOption = name: {
    _type = "option";
    description = "Whether to enable ${name}.";
    default = false;
  };
  literalMD = text: { _type = "literalMD"; inherit text; };
  types = {
    str = type "str";
    attrs = type "attrs";
    bool = type "bool";
    package = type "package";
    singleLineStr = type "singleLineStr";
    strMatching = typeFn "strMatching";
    enum = typeFn "enum";
    nullOr = typeFn "nullOr";
    listOf = typeFn "listOf";
    attrsOf = typeFn "attrsOf";
    submodule = typeFn "submodule";
    either = _: _: type "either";
    ints.positive = type "ints.positive";
  };
  inherit (builtins) mapAttrs concatStringsSep attrValues concatLists;
  concatMapStringsSep = sep: f: xs: builtins.concatStringsSep sep (map f xs);
  optional = cond: x: if cond then [ x ] else [ ];
  nameValuePair = name: value: { inherit name value; };
  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
  mapAttrs' = f: attrs: builtins.listToAttrs (map (n: f n attrs.${n}) (builtins.attrNames attrs));
  removePrefix =
    prefix: s:
    let
      n = builtins.stringLength prefix;
    in
    if builtins.substring 0 n s == prefix then builtins.substring n (builtins.stringLength s - n) s else s;
  getExe = drv: "${drv}/bin/${drv.meta.mainProgram or "unknown"}";
  escapeShellArg =
    arg:
    let
      s = toString arg;
    in
    if builtins.match "[[:alnum:],._+:@%/-]+" s == null then
      "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'"
    else
      s;
}
