# The shares and storage DSLs of nixlab, turned into NixOS `fileSystems` entries and
# systemd units. Builtins only: the NixOS modules in ../modules/mounts call these, and the
# tests evaluate them with plain `nix eval`.
#
#   shares."<mount point>"  = { tag; options ? [ ]; }
#   storage."<mount point>" = { device; fsType; options ? [ ]; mkfsArgs ? null; autoFormat ? false; }
#
# Every function takes already-typed values (the NixOS option types, or ./spec.nix, check
# the shapes) and checks what types cannot say: absolute paths, non-empty strings, and
# that mkfsArgs and autoFormat are not both set.
let
  escape = import ./escape.nix;

  # fstab needs at least one option; NixOS' own default for fileSystems.*.options.
  optionsOrDefaults = options: if options == [ ] then [ "defaults" ] else options;

  sortedNames = attrs: builtins.sort builtins.lessThan (builtins.attrNames attrs);

  # The oneshot that formats a storage device before its mount, e.g.
  # "nixlab-mkfs-mnt-scratch" (the unit is that plus ".service").
  mkfsServiceName = mountPoint: "nixlab-mkfs-${escape.escapePathAs "storage mount point" mountPoint}";

  # Shell-quote one word for a bash script (single quotes, ' as '\'').
  shellQuote =
    s:
    "'"
    + builtins.replaceStrings [ "'" ] [ "'\\''" ] s
    + "'";

  checkNonEmpty =
    what: s:
    if !(builtins.isString s) || s == "" then throw "${what}: must be a non-empty string" else s;

  # The script of the mkfs service. `blkid --probe` does low-level probing of the device
  # itself (not the cache): exit 0 = some signature found (a filesystem, RAID member,
  # partition table...) so the device is left alone; exit 2 = nothing found, so mkfs runs;
  # anything else = blkid could not tell, and the unit fails rather than risk formatting.
  mkfsScript =
    {
      device,
      fsType,
      mkfsArgs,
    }:
    let
      mkfsCommand = builtins.concatStringsSep " " (
        map shellQuote ([ "mkfs.${fsType}" ] ++ mkfsArgs ++ [ device ])
      );
    in
    ''
      set -u
      dev=${shellQuote device}
      if blkid --probe "$dev" >/dev/null 2>&1; then
        echo "nixlab: $dev already holds a signature, not formatting it"
        exit 0
      else
        status=$?
      fi
      if [ "$status" -ne 2 ]; then
        echo "nixlab: blkid --probe $dev exited with $status; refusing to format" >&2
        exit 1
      fi
      echo "nixlab: formatting $dev as ${fsType}"
      exec ${mkfsCommand}
    '';
in
rec {
  inherit mkfsServiceName mkfsScript shellQuote;

  # shares -> { fileSystems }
  sharesToFileSystems =
    shares:
    builtins.listToAttrs (
      map (
        mountPoint:
        let
          share = shares.${mountPoint};
          what = "shares.\"${mountPoint}\"";
          where = escape.normalisePathAs "${what} (mount point)" mountPoint;
        in
        {
          name = where;
          value = {
            device = checkNonEmpty "${what}.tag" share.tag;
            fsType = "virtiofs";
            options = optionsOrDefaults (share.options or [ ]);
          };
        }
      ) (sortedNames shares)
    );

  # storage -> list of { mountPoint, mountUnit, deviceUnit, fileSystem, mkfsService } records,
  # one per entry, in mount point order. mkfsService is null unless mkfsArgs is a list.
  storageEntries =
    storage:
    map (
      mountPoint:
      let
        entry = storage.${mountPoint};
        what = "storage.\"${mountPoint}\"";
        where = escape.normalisePathAs "${what} (mount point)" mountPoint;
        device = checkNonEmpty "${what}.device" entry.device;
        fsType = checkNonEmpty "${what}.fsType" entry.fsType;
        mkfsArgs = entry.mkfsArgs or null;
        autoFormat = entry.autoFormat or false;
        deviceUnit = "${escape.escapePathAs "${what}.device" device}.device";
        mountUnit = escape.mountUnit where;
      in
      if builtins.substring 0 1 device != "/" then
        throw "${what}.device: expected a device path such as /dev/vdb or /dev/disk/by-id/..., got \"${device}\""
      else
        {
          mountPoint = where;
          inherit deviceUnit mountUnit;
          fileSystem = {
            inherit device fsType autoFormat;
            options = optionsOrDefaults (entry.options or [ ]);
          };
          mkfsService =
            if mkfsArgs == null then
              null
            else
              {
                name = mkfsServiceName where;
                description = "nixlab: format ${device} for ${where} unless it already holds a signature";
                # device -> format -> mount: wait for the device unit and stop with it, and run
                # before the mount, which cannot start unless this succeeded.
                after = [ deviceUnit ];
                bindsTo = [ deviceUnit ];
                before = [ mountUnit ];
                requiredBy = [ mountUnit ];
                # Mounts from fstab run early, before basic.target; the default dependencies
                # would order this service after it and deadlock the boot.
                unitConfig.DefaultDependencies = false;
                serviceConfig = {
                  Type = "oneshot";
                  RemainAfterExit = true;
                };
                script = mkfsScript { inherit device fsType mkfsArgs; };
              };
        }
    ) (sortedNames storage);

  # storage -> NixOS `assertions`: one per entry, failing when mkfsArgs and autoFormat are
  # both set (an assertion, not a throw, so NixOS reports it with the other failed ones).
  storageAssertions =
    storage:
    map (mountPoint: {
      assertion = !((storage.${mountPoint}.mkfsArgs or null) != null && (storage.${mountPoint}.autoFormat or false));
      message = conflictMessage mountPoint;
    }) (sortedNames storage);

  conflictMessage =
    mountPoint:
    "nixlab.storage.\"${mountPoint}\": mkfsArgs and autoFormat cannot be used together: autoFormat formats through systemd-makefs, which takes no mkfs arguments; set mkfsArgs (nixlab formats the device with them) or autoFormat, not both";

  # storage -> { fileSystems; services; }, the shapes NixOS takes for `fileSystems` and
  # `systemd.services` (each service without its name; the name is the attribute).
  storageToConfig =
    storage:
    let
      entries = storageEntries storage;
      withMkfs = builtins.filter (e: e.mkfsService != null) entries;
    in
    {
      fileSystems = builtins.listToAttrs (
        map (e: {
          name = e.mountPoint;
          value = e.fileSystem;
        }) entries
      );
      services = builtins.listToAttrs (
        map (e: {
          inherit (e.mkfsService) name;
          value = builtins.removeAttrs e.mkfsService [ "name" ];
        }) withMkfs
      );
    };
}
