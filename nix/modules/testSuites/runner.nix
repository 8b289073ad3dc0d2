# The test suite this guest runs (`nixlab.suite`, the spec's `suite`), made ready to run:
# the suite's configuration file, the runner's contract /etc/nixlab/suite.json and the
# script /run/current-system/sw/bin/nixlab-run-suite (see nix/README.md, "Suite runner
# contract"). Imported by every testSuites module; it does nothing while nixlab.suite is
# null.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  suites = import ../../lib/suites.nix;
  cfg = config.nixlab.suite;
  # A definition may carry the module system's own bookkeeping; only the fields count.
  given = if cfg == null then null else builtins.removeAttrs cfg [ "_module" ];
  errors = if given == null then [ ] else suites.check "nixlab.suite" given;
  suite = suites.normalise given;

  plan = suites.plan {
    inherit suite;
    # Store paths, forced only for the suite that uses them.
    packages = {
      inherit (pkgs)
        xfstests
        nfstest
        pynfs
        kirk
        ;
    };
  };

  runSuite = pkgs.writeShellScriptBin "nixlab-run-suite" (
    suites.runScript {
      inherit plan;
      coreutils = pkgs.coreutils;
    }
  );
in
{
  imports = [ ../overlay.nix ];

  options.nixlab.suite = lib.mkOption {
    type = lib.types.nullOr lib.types.attrs;
    default = null;
    example = {
      name = "fstests";
      section = "xfs_crc";
      options = {
        TEST_DEV = "/dev/disk/by-id/virtio-fstests-test";
        TEST_DIR = "/media/test";
        SCRATCH_DEV = "/dev/disk/by-id/virtio-fstests-scratch";
        SCRATCH_MNT = "/media/scratch";
      };
    };
    description = ''
      The test suite this guest runs: `{ name; section ? null; options ? { }; }`, with the
      options nix/README.md lists per suite (an unknown one fails an assertion naming it).
      Generates the suite's configuration, /etc/nixlab/suite.json and `nixlab-run-suite`.
    '';
  };

  config = lib.mkIf (given != null) (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = errors == [ ];
            message = "invalid nixlab.suite:\n" + lib.concatMapStringsSep "\n" (e: "  - ${e}") errors;
          }
          {
            assertion = errors != [ ] || config.nixlab.testSuites ? ${given.name};
            message = "nixlab.suite.name: \"${given.name}\" needs nixosModules.testSuites.${given.name}; import it";
          }
        ];
      }
      (lib.mkIf (errors == [ ]) {
        environment.etc = {
          "nixlab/suite.json".text = builtins.toJSON (suites.suiteJson plan) + "\n";
        }
        // lib.mapAttrs' (
          path: text: lib.nameValuePair (lib.removePrefix "/etc/" path) { inherit text; }
        ) plan.configFiles;

        environment.systemPackages = [ runSuite ];

        # The results directory exists from boot on, so the runner can always collect it;
        # not inside a checkout still to be cloned (mmtests), where it would be in the way.
        systemd.tmpfiles.rules = lib.optional (
          !(lib.hasPrefix "${plan.source.path}/" plan.resultsDir)
        ) "d ${plan.resultsDir} 0755 root root -";
      })
    ]
  );
}
