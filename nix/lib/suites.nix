# Test-suite settings: which options each suite takes (the spec's `suite`), and what the
# testSuites modules generate from them: the suite's own configuration file, the runner's
# contract (/etc/nixlab/suite.json) and the `nixlab-run-suite` script. Builtins only, so
# the tests compare every generated file exactly. This is the only table of suite options:
# the Pulumi program checks a guest's suite by evaluating `check`/`checkShape` here
# (components/suite-config.ts). nix/README.md ("Suite runner contract") documents the result.
#
# Option names: UPPER_CASE ones are the suite's own variables, written as they are into its
# configuration (fstests' local.config, blktests' config, kselftest's TARGETS); camelCase
# ones are nixlab's (what to run, where, in which role).
let
  mounts = import ./mounts.nix;
  inherit (mounts) shellQuote;

  show = v: if builtins.isString v || builtins.isInt v || builtins.isBool v || v == null then builtins.toJSON v else builtins.typeOf v;
  quoteList = xs: builtins.concatStringsSep ", " (map builtins.toJSON xs);
  concatMap = f: xs: builtins.concatLists (map f xs);
  words = s: builtins.filter (w: builtins.isString w && w != "") (builtins.split " +" s);

  # Where things live on the guest (`plan` takes others, for tests).
  guestRoots = {
    results = "/var/lib/nixlab/results";
    sources = "/var/lib/nixlab/src";
    config = "/etc/nixlab";
  };

  # --- value kinds: each is { describe; ok = value: bool; } ---------------------------
  # A word: what a device path, a test name or an option may be made of. No spaces, no
  # quotes, no shell or config-file metacharacters.
  wordChars = "[A-Za-z0-9_.:+@,=/-]";
  matches = regex: v: builtins.isString v && builtins.match regex v != null;

  kinds = {
    path = {
      describe = "an absolute path of letters, digits and _.:+@,=/-";
      ok = matches "/${wordChars}*";
    };
    paths = {
      describe = "absolute paths separated by spaces";
      ok = matches "/${wordChars}*( +/${wordChars}*)*";
    };
    words = {
      describe = "words of letters, digits and _.:+@,=/- separated by spaces";
      ok = matches "${wordChars}+( +${wordChars}+)*";
    };
    # A value of fstests' local.config: fstests' parser re-quotes it in double quotes and
    # strips comments, so these characters cannot be carried through it.
    configText = {
      describe = "text without quotes, #, $, `, \\ or line breaks";
      ok = matches "[^\"'#$`\\\n]*";
    };
    fsType = {
      describe = "a file system type such as \"xfs\" or \"ext4\"";
      ok = matches "[a-z0-9][a-z0-9._]*";
    };
    host = {
      describe = "a host name or address";
      ok = matches "[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?";
    };
    name = {
      describe = "a name of lower-case letters";
      ok = matches "[a-z]+";
    };
    runName = {
      describe = "a name of letters, digits and _.-";
      ok = matches "[A-Za-z0-9_.-]+";
    };
    # A path inside a checkout: relative, no "..".
    relativePath = {
      describe = "a relative path inside the checkout, without \"..\"";
      ok = v: matches "[A-Za-z0-9_][A-Za-z0-9_./-]*" v && !(builtins.elem ".." (builtins.split "/" v));
    };
    bool = {
      describe = "a boolean";
      ok = builtins.isBool;
    };
    positiveInt = {
      describe = "a positive whole number";
      ok = v: builtins.isInt v && v > 0;
    };
    role = {
      describe = "one of \"server\", \"client\"";
      ok = v: builtins.elem v [
        "server"
        "client"
      ];
    };
    nfsVersion = {
      describe = "one of \"4.0\", \"4.1\"";
      ok = v: builtins.elem v [
        "4.0"
        "4.1"
      ];
    };
  };

  sectionRegex = "[A-Za-z0-9_-]+";

  opt = name: kind: { inherit name kind; };
  optDefault =
    name: kind: default:
    {
      inherit name kind default;
    };

  # Every suite: its options in the order its configuration file lists them, whether it
  # has sections (fstests), and the rules between options.
  suites = {
    fstests = {
      hasSection = true;
      options = [
        (opt "FSTYP" kinds.fsType)
        (opt "TEST_DEV" kinds.path)
        (opt "TEST_DIR" kinds.path)
        (opt "SCRATCH_DEV" kinds.path)
        (opt "SCRATCH_MNT" kinds.path)
        (opt "SCRATCH_DEV_POOL" kinds.paths)
        (opt "LOGWRITES_DEV" kinds.path)
        (opt "MKFS_OPTIONS" kinds.configText)
        (opt "MOUNT_OPTIONS" kinds.configText)
        (opt "TEST_FS_MOUNT_OPTS" kinds.configText)
        (optDefault "tests" kinds.words "-g quick")
      ];
      rules =
        o:
        (if o ? TEST_DEV then [ ] else [ "TEST_DEV: required (the device fstests keeps mounted at TEST_DIR)" ])
        ++ (if o ? TEST_DIR then [ ] else [ "TEST_DIR: required (where TEST_DEV is mounted)" ])
        ++ (
          if (o ? SCRATCH_DEV || o ? SCRATCH_DEV_POOL) && !(o ? SCRATCH_MNT) then
            [ "SCRATCH_MNT: required with SCRATCH_DEV or SCRATCH_DEV_POOL" ]
          else
            [ ]
        )
        ++ (
          if o ? SCRATCH_DEV && o ? SCRATCH_DEV_POOL then
            [ "SCRATCH_DEV_POOL: fstests takes SCRATCH_DEV from the pool; leave SCRATCH_DEV out" ]
          else
            [ ]
        );
    };
    blktests = {
      hasSection = false;
      options = [
        (opt "TEST_DEVS" kinds.paths)
        (opt "EXCLUDE" kinds.words)
        (opt "DEVICE_ONLY" kinds.bool)
        (opt "QUICK_RUN" kinds.bool)
        (opt "TIMEOUT" kinds.positiveInt)
        (optDefault "tests" kinds.words null)
      ];
      rules =
        o:
        (if (o.QUICK_RUN or false) && !(o ? TIMEOUT) then [ "TIMEOUT: required with QUICK_RUN" ] else [ ])
        ++ (if (o.DEVICE_ONLY or false) && !(o ? TEST_DEVS) then [ "TEST_DEVS: required with DEVICE_ONLY" ] else [ ]);
    };
    selftests = {
      hasSection = false;
      options = [
        (opt "TARGETS" kinds.words)
        (optDefault "kernelTree" kinds.path "/src/linux")
      ];
      rules = _: [ ];
    };
    nfstest = {
      hasSection = false;
      options = [
        (optDefault "role" kinds.role "client")
        (opt "server" kinds.host)
        (optDefault "export" kinds.path "/export")
        (optDefault "test" kinds.name "posix")
      ];
      # A server runs nothing: it gets no test.
      dropDefaults = o: if (o.role or "client") == "server" then [ "test" ] else [ ];
      rules =
        o:
        if (o.role or "client") == "client" then
          (if o ? server then [ ] else [ "server: required for the client role (the NFS server's host name)" ])
        else
          (if o ? server then [ "server: only for the client role" ] else [ ])
          ++ (if o ? test then [ "test: only for the client role" ] else [ ]);
    };
    pynfs = {
      hasSection = false;
      options = [
        (opt "server" kinds.host)
        (optDefault "export" kinds.path "/export")
        (optDefault "version" kinds.nfsVersion "4.1")
        (optDefault "tests" kinds.words "all")
      ];
      rules = o: if o ? server then [ ] else [ "server: required (the NFS server under test)" ];
    };
    ltp = {
      hasSection = false;
      options = [
        (optDefault "tests" kinds.words "syscalls")
        (optDefault "workers" kinds.positiveInt 1)
      ];
      rules = _: [ ];
    };
    mmtests = {
      hasSection = false;
      options = [
        (opt "config" kinds.relativePath)
        (optDefault "runName" kinds.runName "nixlab")
        (optDefault "monitor" kinds.bool false)
      ];
      rules = o: if o ? config then [ ] else [ "config: required (an mmtests configuration, e.g. configs/config-workload-stream)" ];
    };
  };

  names = builtins.attrNames suites;
  optionNames = suite: map (o: o.name) suites.${suite}.options;

  # --- checking and normalising a spec's `suite` ----------------------------------------

  checkOptions =
    withRules: path: suite: options:
    let
      table = suites.${suite};
      known = optionNames suite;
      unknown = builtins.filter (n: !(builtins.elem n known)) (builtins.attrNames options);
      badValues = concatMap (
        o:
        if options ? ${o.name} && !(o.kind.ok options.${o.name}) then
          [ "${path}.${o.name}: must be ${o.kind.describe}, got ${show options.${o.name}}" ]
        else
          [ ]
      ) table.options;
    in
    map (n: "${path}.${n}: ${suite} has no option ${builtins.toJSON n} (known: ${builtins.concatStringsSep ", " known})") unknown
    ++ badValues
    ++ (if withRules && unknown == [ ] && badValues == [ ] then map (e: "${path}.${e}") (table.rules options) else [ ]);

  # `suite` as the spec has it: { name; section ? null; options ? { }; }. Returns errors.
  # Without the rules between options (`checkShape`): names and kinds only, for a suite whose
  # required options may still be derived from its guest.
  checkWith =
    withRules: path: suite:
    let
      name = suite.name or null;
      section = suite.section or null;
      options = suite.options or { };
      fields = [
        "name"
        "section"
        "options"
      ];
      unknownFields = builtins.filter (n: !(builtins.elem n fields)) (builtins.attrNames suite);
    in
    if !(builtins.isAttrs suite) then
      [ "${path}: expected an object or null, got ${show suite}" ]
    else
      map (n: "${path}.${n}: unknown field (known fields: ${builtins.concatStringsSep ", " fields})") unknownFields
      ++ (
        if !(builtins.elem name names) then
          [ "${path}.name: must be one of ${quoteList names}, got ${show name}" ]
        else
          (
            if section == null then
              [ ]
            else if !suites.${name}.hasSection then
              [ "${path}.section: only fstests has sections" ]
            else if matches sectionRegex section then
              [ ]
            else
              [ "${path}.section: must be a section name of letters, digits, _ and -, got ${show section}" ]
          )
          ++ (
            if builtins.isAttrs options then
              checkOptions withRules "${path}.options" name options
            else
              [ "${path}.options: expected an object, got ${show options}" ]
          )
      );

  # The suite with every default filled in (only called on a suite without errors).
  normalise =
    suite:
    let
      table = suites.${suite.name};
      given = suite.options or { };
      defaults = builtins.listToAttrs (
        map (o: {
          inherit (o) name;
          value = o.default;
        }) (builtins.filter (o: o ? default && o.default != null && !(given ? ${o.name}) && !(builtins.elem o.name dropped)) table.options)
      );
      dropped = if table ? dropDefaults then table.dropDefaults given else [ ];
    in
    {
      inherit (suite) name;
      section = if table.hasSection then (if (suite.section or null) == null then "nixlab" else suite.section) else null;
      options = defaults // given;
    };

  # --- generated configuration files ---------------------------------------------------

  # fstests' local.config: one section. fstests reads it with HOST_OPTIONS pointing at it;
  # RESULT_BASE puts its results under the runner's results directory.
  fstestsConfig =
    {
      suite,
      resultsDir,
    }:
    let
      o = suite.options;
      vars = builtins.filter (n: n != "tests" && o ? ${n}) (optionNames "fstests");
      line = n: "${n}=\"${toString o.${n}}\"";
    in
    builtins.concatStringsSep "\n" (
      [
        "# fstests configuration generated by nixlab from the guest's suite settings."
        "[${suite.section}]"
      ]
      ++ map line vars
      ++ [ "RESULT_BASE=\"${resultsDir}\"" ]
    )
    + "\n";

  # blktests' config: a bash file its check script sources. Lists become bash arrays.
  blktestsConfig =
    {
      suite,
      resultsDir,
    }:
    let
      o = suite.options;
      array = s: "(${builtins.concatStringsSep " " (map shellQuote (words s))})";
      flag = b: if b then "1" else "0";
      lines =
        (if o ? TEST_DEVS then [ "TEST_DEVS=${array o.TEST_DEVS}" ] else [ ])
        ++ (if o ? EXCLUDE then [ "EXCLUDE=${array o.EXCLUDE}" ] else [ ])
        ++ (if o ? DEVICE_ONLY then [ "DEVICE_ONLY=${flag o.DEVICE_ONLY}" ] else [ ])
        ++ (if o ? QUICK_RUN then [ "QUICK_RUN=${flag o.QUICK_RUN}" ] else [ ])
        ++ (if o ? TIMEOUT then [ "TIMEOUT=${toString o.TIMEOUT}" ] else [ ])
        ++ [ "OUTPUT=${shellQuote resultsDir}" ];
    in
    builtins.concatStringsSep "\n" ([ "# blktests configuration generated by nixlab from the guest's suite settings." ] ++ lines)
    + "\n";

  # --- the run plan: everything the runner needs, as suite.json says it ---------------
  #   suite      a normalised suite
  #   packages   store paths: { xfstests; nfstest; pynfs; kirk; }
  #   roots      where results, checkouts and configuration files go (default: the guest's)
  plan =
    {
      suite,
      packages,
      roots ? guestRoots,
    }:
    let
      inherit (suite) name;
      o = suite.options;
      resultsDir = "${roots.results}/${name}";
      configDir = "${roots.config}/${name}";
      checkoutDir = "${roots.sources}/${name}";
      checkout = repository: {
        kind = "git";
        path = checkoutDir;
        inherit repository;
      };
      store = path: {
        kind = "store";
        inherit path;
        repository = null;
      };
      base = {
        version = 1;
        suite = name;
        inherit (suite) section;
        role = null;
        inherit resultsDir;
        prepare = [ ];
        environment = { };
        configFiles = { };
      };
      bySuite = {
        fstests = rec {
          source = store "${packages.xfstests}/lib/xfstests";
          installDir = source.path;
          # xfstests-check (nixpkgs' wrapper) runs check from a scratch copy of the tree;
          # the section's RESULT_BASE sends the results here.
          workDir = resultsDir;
          command = [
            "${packages.xfstests}/bin/xfstests-check"
            "-s"
            suite.section
          ]
          ++ words o.tests;
          environment.HOST_OPTIONS = "${configDir}/local.config";
          configFiles."${configDir}/local.config" = fstestsConfig { inherit suite resultsDir; };
        };
        blktests = rec {
          source = checkout "https://github.com/osandov/blktests.git";
          installDir = source.path;
          # check reads ./config; OUTPUT in it sends the results here.
          prepare = [
            [
              "ln"
              "-sfn"
              "${configDir}/config"
              "config"
            ]
            [ "make" ]
          ];
          workDir = installDir;
          command = [ "./check" ] ++ (if o ? tests then words o.tests else [ ]);
          configFiles."${configDir}/config" = blktestsConfig { inherit suite resultsDir; };
        };
        selftests = rec {
          source = {
            kind = "path";
            path = "${o.kernelTree}/tools/testing/selftests";
            repository = null;
          };
          installDir = source.path;
          workDir = installDir;
          command = [ "make" ] ++ (if o ? TARGETS then [ "TARGETS=${o.TARGETS}" ] else [ ]) ++ [ "run_tests" ];
        };
        nfstest = {
          source = store "${packages.nfstest}";
          installDir = "${packages.nfstest}";
          inherit (o) role;
          workDir = resultsDir;
          command =
            if o.role == "server" then
              null
            else
              [
                "${packages.nfstest}/bin/nfstest_${o.test}"
                "--server"
                o.server
                "--export"
                o.export
              ];
        };
        pynfs = {
          source = store "${packages.pynfs}/share/pynfs";
          installDir = "${packages.pynfs}/share/pynfs";
          workDir = resultsDir;
          command = [
            "${packages.pynfs}/bin/pynfs-nfs${o.version}"
            "--maketree"
            "--json"
            "${resultsDir}/pynfs.json"
            "${o.server}:${o.export}"
          ]
          ++ words o.tests;
        };
        ltp = {
          source = checkout "https://github.com/linux-test-project/ltp.git";
          # `make install` puts LTP where kirk looks for it (LTPROOT).
          installDir = "/opt/ltp";
          prepare = [
            [
              "make"
              "autotools"
            ]
            [
              "./configure"
              "--prefix=/opt/ltp"
            ]
            [ "make" ]
            [
              "make"
              "install"
            ]
          ];
          workDir = resultsDir;
          command = [
            "${packages.kirk}/bin/kirk"
            "--workers"
            (toString o.workers)
            "--json-report"
            "${resultsDir}/ltp.json"
            "--run-suite"
          ]
          ++ words o.tests;
          environment.LTPROOT = "/opt/ltp";
        };
        mmtests = rec {
          source = checkout "https://github.com/gormanm/mmtests.git";
          installDir = source.path;
          workDir = installDir;
          command = [
            "./run-mmtests.sh"
            (if o.monitor then "--run-monitor" else "--no-monitor")
            "--config"
            o.config
            o.runName
          ];
        };
      };
      # mmtests writes its logs in the checkout (work/log), not where the others do.
      results = if name == "mmtests" then { resultsDir = "${checkoutDir}/work/log"; } else { };
    in
    base // bySuite.${name} // results;

  # /etc/nixlab/suite.json: the plan without the configuration files' contents.
  suiteJson =
    p:
    builtins.removeAttrs p [ "configFiles" ]
    // {
      configFiles = builtins.attrNames p.configFiles;
      log = "${p.resultsDir}/nixlab-run-suite.log";
    };

  argv = xs: builtins.concatStringsSep " " (map shellQuote xs);

  # The body of nixlab-run-suite (the module adds the #! line). Extra arguments are
  # appended to the suite's command; its output also goes to the log; its exit status is
  # the script's.
  #   coreutils   store path of coreutils (mkdir, tee, nproc), put first on PATH
  runScript =
    {
      plan,
      coreutils,
    }:
    let
      p = plan;
      log = "${p.resultsDir}/nixlab-run-suite.log";
      sourceCheck =
        if p.source.kind == "git" then
          ''
            if [ ! -d ${shellQuote "${p.source.path}/.git"} ]; then
              echo ${shellQuote "nixlab-run-suite: no checkout at ${p.source.path}: clone ${p.source.repository} there first"} >&2
              exit 2
            fi
          ''
        else if p.source.kind == "path" then
          ''
            if [ ! -d ${shellQuote p.source.path} ]; then
              echo ${shellQuote "nixlab-run-suite: ${p.source.path} does not exist: share the kernel tree there"} >&2
              exit 2
            fi
          ''
        else
          "";
      prepare =
        if p.prepare == [ ] then
          ""
        else
          ''
            export MAKEFLAGS="-j$(nproc)"
            cd ${shellQuote p.source.path}
          ''
          + builtins.concatStringsSep "" (map (cmd: "${argv cmd}\n") p.prepare);
      environment = builtins.concatStringsSep "" (
        map (n: "export ${n}=${shellQuote p.environment.${n}}\n") (builtins.attrNames p.environment)
      );
    in
    ''
      # nixlab-run-suite: runs this guest's ${p.suite} (what /etc/nixlab/suite.json describes).
      set -euo pipefail
      export PATH=${shellQuote "${coreutils}/bin"}:"$PATH"
    ''
    + (
      if p.command == null then
        ''
          echo ${shellQuote "nixlab-run-suite: ${p.suite} has nothing to run on this guest (role: ${toString p.role})"}
          exit 0
        ''
      else
        # The checkout first: the results directory may lie inside it (mmtests).
        sourceCheck
        + ''
          if [ -n "''${NIXLAB_RESULTS_DIR:-}" ]; then
            # Driven by nixlab's SuiteRun: this run's results land in the folder it collects
            # (the suite's results directory becomes a link to it), apart from earlier runs'.
            mkdir -p "$NIXLAB_RESULTS_DIR" ${shellQuote (dirOf p.resultsDir)}
            rm -rf ${shellQuote p.resultsDir}
            ln -s "$NIXLAB_RESULTS_DIR" ${shellQuote p.resultsDir}
          else
            mkdir -p ${shellQuote p.resultsDir}
          fi
        ''
        + prepare
        + environment
        + ''
          cd ${shellQuote p.workDir}
          set +e
          ${argv p.command} "$@" 2>&1 | tee -a ${shellQuote log}
          status=''${PIPESTATUS[0]}
          exit "$status"
        ''
    );
  check = checkWith true;
  checkShape = checkWith false;
in
{
  inherit
    names
    optionNames
    check
    checkShape
    normalise
    fstestsConfig
    blktestsConfig
    plan
    suiteJson
    runScript
    guestRoots
    ;

  # The option table as data (for the docs and for keeping suite-config.ts in step).
  table = builtins.mapAttrs (_: s: {
    inherit (s) hasSection;
    options = map (o: {
      inherit (o) name;
      kind = o.kind.describe;
      default = o.default or null;
    }) s.options;
  }) suites;
}
