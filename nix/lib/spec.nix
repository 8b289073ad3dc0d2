# The JSON spec that `lib.mkSystem` builds a NixOS system from: validation and
# normalisation, with builtins only (tested with plain `nix eval`).
#
# `check spec` returns { errors = [ "<field>: <problem>" ... ]; spec = <normalised>; }:
# every problem found, in field order, each naming the field as JavaScript would
# (user.name, storage."/mnt/x".device, profiles[2]). `normalise spec` returns the normalised
# spec or throws one error listing them all. nix/README.md documents the fields. This is the
# only validator of the spec: the Pulumi program runs `check` before it registers anything
# (components/spec.ts), so a flake calling lib.mkSystem directly gets the same verdict.
let
  escape = import ./escape.nix;
  boot = import ./boot.nix;
  suites = import ./suites.nix;

  backends = [
    "imageless"
    "libvirt"
  ];
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  profileNames = [
    "devel"
    "build-tools"
    "monitoring"
    "controller"
  ];
  testSuiteNames = [
    "fstests"
    "blktests"
    "selftests"
    "nfstest"
    "pynfs"
    "ltp"
    "mmtests"
  ];

  # Mount points the backends use themselves.
  reservedMountPoints = {
    imageless = [
      "/"
      "/nix/store"
      "/lib/modules"
    ];
    libvirt = [ "/" ];
  };

  topLevelFields = [
    "version"
    "system"
    "backend"
    "hostName"
    "stateVersion"
    "profiles"
    "testSuites"
    "user"
    "sshKeys"
    "consolePassword"
    "shares"
    "storage"
    "extraPackages"
    "kernelParams"
    "diskSize"
    "suite"
  ];
  userFields = [
    "name"
    "extraGroups"
    "sshKeys"
  ];
  shareFields = [
    "tag"
    "options"
  ];
  storageFields = [
    "device"
    "fsType"
    "options"
    "mkfsArgs"
    "autoFormat"
  ];

  jsonType =
    v:
    {
      set = "an object";
      list = "an array";
      int = "a number";
      float = "a number";
      string = "a string";
      bool = "a boolean";
      null = "null";
      lambda = "a function";
      path = "a path";
    }
    .${builtins.typeOf v};

  show = v: if builtins.isString v || builtins.isInt v || builtins.isBool v || v == null then builtins.toJSON v else jsonType v;

  quoteList = xs: builtins.concatStringsSep ", " (map builtins.toJSON xs);

  concatMap = f: xs: builtins.concatLists (map f xs);

  # Field names in JS style: user.name, storage."/mnt/x".device, profiles[2].
  field = parent: name: if parent == "" then name else "${parent}.${name}";
  key = parent: name: "${parent}.${builtins.toJSON name}";
  index = parent: i: "${parent}[${toString i}]";

  imap = f: xs: builtins.genList (i: f i (builtins.elemAt xs i)) (builtins.length xs);

  unknownFields =
    path: allowed: obj:
    map (n: "${field path n}: unknown field (known fields: ${builtins.concatStringsSep ", " allowed})") (
      builtins.filter (n: !(builtins.elem n allowed)) (builtins.attrNames obj)
    );

  # --- primitive checks: each returns a list of error strings ---------------------------

  expectString = path: v: if builtins.isString v then [ ] else [ "${path}: expected a string, got ${show v}" ];

  expectNonEmptyString =
    path: v:
    if !(builtins.isString v) then
      [ "${path}: expected a string, got ${show v}" ]
    else if v == "" then
      [ "${path}: must not be empty" ]
    else
      [ ];

  expectBool = path: v: if builtins.isBool v then [ ] else [ "${path}: expected a boolean, got ${show v}" ];

  expectListOf =
    check: path: v:
    if !(builtins.isList v) then
      [ "${path}: expected an array, got ${show v}" ]
    else
      builtins.concatLists (imap (i: x: check (index path i) x) v);

  expectEnum =
    allowed: path: v:
    if builtins.isString v && builtins.elem v allowed then
      [ ]
    else
      [ "${path}: must be one of ${quoteList allowed}, got ${show v}" ];

  expectUnique =
    path: xs:
    let
      dups = builtins.filter (x: builtins.length (builtins.filter (y: y == x) xs) > 1) xs;
    in
    if builtins.isList xs && dups != [ ] then [ "${path}: ${builtins.toJSON (builtins.head dups)} is listed more than once" ] else [ ];

  expectMatch =
    regex: description: path: v:
    if !(builtins.isString v) then
      [ "${path}: expected a string, got ${show v}" ]
    else if builtins.match regex v == null then
      [ "${path}: ${description}, got ${builtins.toJSON v}" ]
    else
      [ ];

  # An absolute, printable-ASCII path without "..", as escape.nix accepts it: what is wrong
  # with `v`, or null.
  absolutePathProblem =
    v:
    if !(builtins.isString v) then
      "must be an absolute path, got ${show v}"
    else if builtins.substring 0 1 v != "/" then
      "must be an absolute path (starting with /), got ${builtins.toJSON v}"
    else if !(escape.isPrintableAscii v) then
      "must be printable ASCII, got ${builtins.toJSON v}"
    else if builtins.elem ".." (builtins.split "/" v) then
      "must not contain \"..\", got ${builtins.toJSON v}"
    else
      null;

  expectAbsolutePath =
    path: v:
    let
      problem = absolutePathProblem v;
    in
    if problem == null then [ ] else [ "${path}: ${problem}" ];

  # A mount point is a key: the message says it is the key that is wrong.
  expectMountPoint =
    path: v:
    let
      problem = absolutePathProblem v;
    in
    if problem == null then [ ] else [ "${path}: the mount point ${problem}" ];

  hostNameRegex = "[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?";
  userNameRegex = "[a-z_][a-z0-9_-]{0,31}";
  # An attribute path into nixpkgs: "htop", "python3Packages.numpy", "linuxPackages_latest.perf".
  attrPathRegex = "[A-Za-z_][A-Za-z0-9_'-]*(\\.[A-Za-z_][A-Za-z0-9_'-]*)*";

  get = obj: name: default: if builtins.isAttrs obj && obj ? ${name} then obj.${name} else default;

  # --- the spec's parts ----------------------------------------------------------------

  checkUser =
    user:
    if user == null then
      [ ]
    else if !(builtins.isAttrs user) then
      [ "user: expected an object or null, got ${show user}" ]
    else
      unknownFields "user" userFields user
      ++ expectMatch "${userNameRegex}" "must be a user name (lower case letters, digits, _ and -, not starting with a digit or -, at most 32 characters)" "user.name" (get user "name" "user")
      ++ (
        let
          groups = get user "extraGroups" null;
        in
        if groups == null then [ ] else expectListOf expectNonEmptyString "user.extraGroups" groups
      )
      ++ (
        let
          keys = get user "sshKeys" null;
        in
        if keys == null then [ ] else expectListOf expectNonEmptyString "user.sshKeys" keys
      );

  checkShares =
    shares:
    if !(builtins.isAttrs shares) then
      [ "shares: expected an object (mount point -> share), got ${show shares}" ]
    else
      concatMap (
        mountPoint:
        let
          path = key "shares" mountPoint;
          share = shares.${mountPoint};
        in
        expectMountPoint path mountPoint
        ++ (
          if !(builtins.isAttrs share) then
            [ "${path}: expected an object with a \"tag\", got ${show share}" ]
          else
            unknownFields path shareFields share
            ++ (if share ? tag then expectNonEmptyString "${path}.tag" share.tag else [ "${path}.tag: required" ])
            ++ expectListOf expectNonEmptyString "${path}.options" (get share "options" [ ])
        )
      ) (builtins.attrNames shares);

  checkStorage =
    storage:
    if !(builtins.isAttrs storage) then
      [ "storage: expected an object (mount point -> device), got ${show storage}" ]
    else
      concatMap (
        mountPoint:
        let
          path = key "storage" mountPoint;
          entry = storage.${mountPoint};
          mkfsArgs = get entry "mkfsArgs" null;
          autoFormat = get entry "autoFormat" false;
        in
        expectMountPoint path mountPoint
        ++ (
          if !(builtins.isAttrs entry) then
            [ "${path}: expected an object with \"device\" and \"fsType\", got ${show entry}" ]
          else
            unknownFields path storageFields entry
            ++ (if entry ? device then expectAbsolutePath "${path}.device" entry.device else [ "${path}.device: required" ])
            ++ (
              if entry ? fsType then
                expectMatch "[a-z0-9][a-z0-9._]*" "must be a filesystem type such as \"xfs\" or \"ext4\"" "${path}.fsType" entry.fsType
              else
                [ "${path}.fsType: required" ]
            )
            ++ expectListOf expectNonEmptyString "${path}.options" (get entry "options" [ ])
            ++ (if mkfsArgs == null then [ ] else expectListOf expectString "${path}.mkfsArgs" mkfsArgs)
            ++ expectBool "${path}.autoFormat" autoFormat
            ++ (
              if mkfsArgs != null && autoFormat == true then
                [
                  "${path}: mkfsArgs and autoFormat cannot be used together (autoFormat formats through systemd-makefs, which takes no mkfs arguments)"
                ]
              else
                [ ]
            )
        )
      ) (builtins.attrNames storage);

  # The same mount point twice (after normalisation), or one a backend uses itself.
  checkMountPoints =
    backend: shares: storage:
    let
      valid = attrs: if builtins.isAttrs attrs then builtins.filter (p: expectAbsolutePath "" p == [ ]) (builtins.attrNames attrs) else [ ];
      named =
        map (p: {
          field = key "shares" p;
          where = escape.normalisePath p;
        }) (valid shares)
        ++ map (p: {
          field = key "storage" p;
          where = escape.normalisePath p;
        }) (valid storage);
      reserved = reservedMountPoints.${backend} or [ ];
      clashes = concatMap (
        a:
        map (b: "${a.field}: same mount point as ${b.field}") (
          builtins.filter (b: b.where == a.where && b.field > a.field) named
        )
      ) named;
      taken = map (a: "${a.field}: ${a.where} is used by the ${backend} backend itself") (
        builtins.filter (a: builtins.elem a.where reserved) named
      );
    in
    clashes ++ taken;

  checkDiskSize =
    backend: v:
    if v == null then
      [ ]
    else if backend != "libvirt" then
      [ "diskSize: only the libvirt backend has a disk image; leave it out or null for ${show backend}" ]
    else if v == "auto" || (builtins.isInt v && v > 0) then
      [ ]
    else
      [ "diskSize: expected \"auto\" or a positive number of MiB, got ${show v}" ];

  checkTopLevel =
    spec:
    let
      backend = get spec "backend" null;
      version = get spec "version" 1;
    in
    unknownFields "" topLevelFields spec
    ++ (if version == 1 then [ ] else [ "version: only version 1 is supported, got ${show version}" ])
    ++ expectEnum systems "system" (get spec "system" "x86_64-linux")
    ++ (if spec ? backend then expectEnum backends "backend" backend else [ "backend: required (one of ${quoteList backends})" ])
    # The libvirt backend installs BIOS GRUB (boot.loader.grub.device = /dev/vda), which
    # only exists for x86.
    ++ (
      if backend == "libvirt" && get spec "system" "x86_64-linux" == "aarch64-linux" then
        [
          "system: the libvirt backend boots with BIOS GRUB, which aarch64-linux has not; use the imageless backend for aarch64-linux guests"
        ]
      else
        [ ]
    )
    ++ expectMatch "${hostNameRegex}" "must be a host name (letters, digits, _ and -, not starting or ending with - or _, at most 63 characters)" "hostName" (get spec "hostName" "nixlab")
    ++ expectMatch "[0-9]{2}\\.[0-9]{2}" "must be a NixOS release such as \"25.11\"" "stateVersion" (get spec "stateVersion" "25.11")
    ++ expectListOf (expectEnum profileNames) "profiles" (get spec "profiles" [ ])
    ++ expectUnique "profiles" (get spec "profiles" [ ])
    ++ expectListOf (expectEnum testSuiteNames) "testSuites" (get spec "testSuites" [ ])
    ++ expectUnique "testSuites" (get spec "testSuites" [ ])
    ++ checkUser (get spec "user" null)
    ++ expectListOf expectNonEmptyString "sshKeys" (get spec "sshKeys" [ ])
    ++ (
      let
        p = get spec "consolePassword" null;
      in
      if p == null then [ ] else expectNonEmptyString "consolePassword" p
    )
    ++ checkShares (get spec "shares" { })
    ++ checkStorage (get spec "storage" { })
    ++ (if builtins.elem backend backends then checkMountPoints backend (get spec "shares" { }) (get spec "storage" { }) else [ ])
    ++ expectListOf (expectMatch attrPathRegex "must be a nixpkgs attribute path such as \"htop\" or \"python3Packages.numpy\"") "extraPackages" (get spec "extraPackages" [ ])
    ++ expectListOf (
      path: v:
      if boot.isKernelParam v then
        [ ]
      else
        [ "${path}: must be a kernel parameter without whitespace (except inside double quotes), got ${show v}" ]
    ) "kernelParams" (get spec "kernelParams" [ ])
    ++ checkDiskSize backend (get spec "diskSize" null)
    ++ (
      let
        suite = get spec "suite" null;
      in
      if suite == null then [ ] else suites.check "suite" suite
    );

  # Fill in defaults and normalise mount points. Only called on a spec without errors.
  fill =
    spec:
    let
      sshKeys = get spec "sshKeys" [ ];
      user = get spec "user" null;
      suite = get spec "suite" null;
      normaliseKeys = attrs: f: builtins.listToAttrs (map (p: { name = escape.normalisePath p; value = f attrs.${p}; }) (builtins.attrNames attrs));
    in
    {
      version = 1;
      system = get spec "system" "x86_64-linux";
      inherit (spec) backend;
      hostName = get spec "hostName" "nixlab";
      stateVersion = get spec "stateVersion" "25.11";
      profiles = get spec "profiles" [ ];
      # The suite the guest runs is always installed.
      testSuites =
        let
          listed = get spec "testSuites" [ ];
        in
        listed ++ (if suite != null && !(builtins.elem suite.name listed) then [ suite.name ] else [ ]);
      suite = if suite == null then null else suites.normalise suite;
      user =
        if user == null then
          null
        else
          {
            name = get user "name" "user";
            extraGroups = get user "extraGroups" null;
            sshKeys = get user "sshKeys" sshKeys;
          };
      inherit sshKeys;
      consolePassword = get spec "consolePassword" null;
      shares = normaliseKeys (get spec "shares" { }) (share: {
        inherit (share) tag;
        options = get share "options" [ ];
      });
      storage = normaliseKeys (get spec "storage" { }) (entry: {
        inherit (entry) device fsType;
        options = get entry "options" [ ];
        mkfsArgs = get entry "mkfsArgs" null;
        autoFormat = get entry "autoFormat" false;
      });
      extraPackages = get spec "extraPackages" [ ];
      kernelParams = get spec "kernelParams" [ ];
      diskSize = if spec.backend == "libvirt" then get spec "diskSize" "auto" else null;
    };

  check =
    spec:
    let
      errors = if builtins.isAttrs spec then checkTopLevel spec else [ "spec: expected an object, got ${show spec}" ];
    in
    {
      inherit errors;
      spec = if errors == [ ] then fill spec else null;
    };

  formatErrors = errors: "invalid nixlab spec:\n" + builtins.concatStringsSep "\n" (map (e: "  - ${e}") errors);

  normalise =
    spec:
    let
      result = check spec;
    in
    if result.errors == [ ] then result.spec else throw (formatErrors result.errors);

  # "python3Packages.numpy" -> pkgs.python3Packages.numpy, or a throw naming the entry.
  resolvePackage =
    pkgs: i: attrPath:
    let
      parts = builtins.filter builtins.isString (builtins.split "\\." attrPath);
      step =
        acc: part:
        if acc.found && builtins.isAttrs acc.value && acc.value ? ${part} then
          {
            found = true;
            value = acc.value.${part};
          }
        else
          {
            found = false;
            value = null;
          };
      result = builtins.foldl' step {
        found = true;
        value = pkgs;
      } parts;
    in
    if result.found then result.value else throw "extraPackages[${toString i}]: nixpkgs has no attribute ${builtins.toJSON attrPath}";
in
{
  inherit
    backends
    systems
    profileNames
    testSuiteNames
    reservedMountPoints
    check
    normalise
    formatErrors
    resolvePackage
    ;

  resolvePackages = pkgs: names: imap (resolvePackage pkgs) names;
}
