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

  # A block device: a path under /dev.
  expectDevice =
    path: v:
    if !(builtins.isString v) || builtins.match "/dev/[ -~]+" v == null then
      [ "${path}: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got ${show v}" ]
    else
      expectAbsolutePath path v;

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

  # Tags the imageless backend shares itself: the host's /nix/store and the kernel's modules
  # (modules/backends/imageless). A share of the spec cannot take them.
  imagelessOwnTags = [
    "store"
    "modules"
  ];

  hasControlChars = v: builtins.match "[^[:cntrl:]]*" v == null;

  # What is wrong with a value, or null: rules the Pulumi program also applies to the stack
  # config's own fields (components/spec.ts asks them here).
  rules = {
    # A virtiofs tag: the device holds at most 36 bytes; mount and fstab split on blanks.
    virtiofsTag =
      v:
      if builtins.isString v && builtins.match "[A-Za-z0-9_.+-]{1,36}" v != null then
        null
      else
        "must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces), got ${show v}";

    # One kernel command-line parameter.
    kernelParam =
      v:
      if !(builtins.isString v) then
        "must be a kernel parameter, got ${show v}"
      else if hasControlChars v then
        "must not contain newlines or control characters"
      else if boot.isKernelParam v then
        null
      else
        "must be one kernel parameter (quote blanks: name=\"a b\"), got ${show v}";

    # One OpenSSH authorized_keys line, never a private key. Never quotes the value: a pasted
    # private key must not end up in a log either.
    sshPublicKey =
      v:
      let
        fields = if builtins.isString v then sshKeyFields v else null;
        prefix = sshKeyBlobPrefixes.${fields.type} or null;
      in
      if !(builtins.isString v) then
        "must be an OpenSSH public key line (a string)"
      else if builtins.any (m: builtins.match ".*${m}.*" v != null) sshPrivateKeyMarkers then
        "is a private key, refused: put its public half here (`ssh-keygen -y -f KEYFILE` prints it) and remove the private key from the stack config"
      else if hasControlChars v then
        "must be one line without control characters"
      else if fields == null || prefix == null then
        "must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ${builtins.concatStringsSep ", " sshKeyTypes}"
      else if builtins.match "${prefix}.*" fields.blob == null then
        "must be an OpenSSH public key line: its base64 part is not a ${fields.type} key"
      else if fields.type == "ssh-ed25519" && builtins.match "AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}" fields.blob == null then
        "must be an OpenSSH public key line: its base64 part is not a whole ssh-ed25519 key"
      else
        null;
  };

  # PEM/OpenSSH/PuTTY private key markers, and the base64 of "openssh-key-v1" (a private key's body).
  sshPrivateKeyMarkers = [
    "PRIVATE KEY"
    "PuTTY-User-Key-File"
    "b3BlbnNzaC1rZXktdjE"
  ];

  # Key types OpenSSH accepts in authorized_keys.
  sshKeyTypes = [
    "ssh-ed25519"
    "ssh-rsa"
    "ecdsa-sha2-nistp256"
    "ecdsa-sha2-nistp384"
    "ecdsa-sha2-nistp521"
    "sk-ssh-ed25519@openssh.com"
    "sk-ecdsa-sha2-nistp256@openssh.com"
  ];

  # A key's base64 part starts with its type as a length-prefixed string: per type, the base64
  # of that prefix (the characters it fixes fully, then the set the next one may take).
  sshKeyBlobPrefixes = {
    "ssh-ed25519" = "AAAAC3NzaC1lZDI1NTE5";
    "ssh-rsa" = "AAAAB3NzaC1yc2[EFGH]";
    "ecdsa-sha2-nistp256" = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNT[YZab]";
    "ecdsa-sha2-nistp384" = "AAAAE2VjZHNhLXNoYTItbmlzdHAzOD[QRST]";
    "ecdsa-sha2-nistp521" = "AAAAE2VjZHNhLXNoYTItbmlzdHA1Mj[EFGH]";
    "sk-ssh-ed25519@openssh.com" = "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t";
    "sk-ecdsa-sha2-nistp256@openssh.com" = "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb2[0123]";
  };

  # The type and base64 part of an authorized_keys line (options such as
  # `restrict,from="10.0.0.0/8"` may come first), or null.
  sshKeyFields =
    line:
    let
      trimmed = builtins.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" line;
      t = if trimmed == null then "" else builtins.head trimmed;
      keyPart = "([^[:space:]]+)[[:space:]]+([A-Za-z0-9+/]+={0,2})([[:space:]].*)?";
      option = "[A-Za-z][A-Za-z0-9-]*(=\"([^\"\\\\]|\\\\.)*\")?";
      bare = builtins.match keyPart t;
      withOptions = builtins.match "${option}(,${option})*[[:space:]]+${keyPart}" t;
      fieldsAt =
        m: i:
        if m == null then
          null
        else
          {
            type = builtins.elemAt m i;
            blob = builtins.elemAt m (i + 1);
          };
      b = fieldsAt bare 0;
    in
    # A line starting with a key type has no options (a comment can look like base64).
    if b != null && sshKeyBlobPrefixes ? ${b.type} then b else fieldsAt withOptions 5;

  expectRule =
    rule: path: v:
    let
      problem = rule v;
    in
    if problem == null then [ ] else [ "${path}: ${problem}" ];


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
        if keys == null then [ ] else expectListOf (expectRule rules.sshPublicKey) "user.sshKeys" keys
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
            ++ (if share ? tag then expectRule rules.virtiofsTag "${path}.tag" share.tag else [ "${path}.tag: required" ])
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
            ++ (if entry ? device then expectDevice "${path}.device" entry.device else [ "${path}.device: required" ])
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
      # Shares by tag: each tag once, and not one the imageless backend shares itself.
      tagged = builtins.filter (x: rules.virtiofsTag x.tag == null) (
        map (p: {
          field = key "shares" p;
          tag = shares.${p}.tag or null;
        }) (if builtins.isAttrs shares then builtins.filter (p: builtins.isAttrs shares.${p}) (builtins.attrNames shares) else [ ])
      );
      twice = concatMap (
        a:
        if builtins.any (b: b.tag == a.tag && b.field < a.field) tagged then [ "${a.field}.tag: ${a.tag} is used twice" ] else [ ]
      ) tagged;
      ownTags = map (a: "${a.field}.tag: ${a.tag} is the imageless backend's own share") (
        builtins.filter (a: backend == "imageless" && builtins.elem a.tag imagelessOwnTags) tagged
      );
    in
    clashes ++ taken ++ twice ++ ownTags;

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
    ++ expectListOf (expectRule rules.sshPublicKey) "sshKeys" (get spec "sshKeys" [ ])
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
    ++ expectListOf (expectRule rules.kernelParam) "kernelParams" (get spec "kernelParams" [ ])
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
    imagelessOwnTags
    rules
    check
    normalise
    formatErrors
    resolvePackage
    ;

  resolvePackages = pkgs: names: imap (resolvePackage pkgs) names;
}
