// The shell scripts that run on the host during an activation. Fixed text: every value reaches
// them as a positional argument (quoted by remoteCommand), never spliced into the script.
//
// Rollback has two halves, as in deploy-rs' "magic rollback":
//  - activation fails (switch-to-configuration exits non-zero): the script itself switches back
//    to the previous generation at once;
//  - activation succeeds but the deployer cannot reach the host again (network or sshd broken by
//    the new generation): a watchdog started before the switch rolls back by itself unless the
//    deployer confirms, over a new SSH connection, within the timeout.

/** $1 profile → prints the current generation's store path (empty when there is none). */
export const currentGenerationScript =
  'p=$(readlink -f "$1" 2>/dev/null) && [ -e "$p" ] && printf "%s\\n" "$p"; exit 0';

/**
 * $1 profile  $2 closure  $3 action  $4 previous (may be empty)  $5 confirm file  $6 timeout (s)
 * $7 set-profile (1/0)  $8 rollback (1/0)
 * Exit 0: activated (watchdog armed when rollback is on); 10: activation failed and rolled back;
 * 11: activation failed, no rollback possible or wanted.
 */
export const activateScript = `
set -u
# The watchdog stands down when it sees the confirm file, and then removes both files itself.
disarm() { if [ "$armed" = 1 ]; then touch "$confirm" "$confirm.done"; fi; }
profile=$1 closure=$2 action=$3 prev=$4 confirm=$5 timeout=$6 setprofile=$7 rollback=$8
rm -f "$confirm" "$confirm.done" "$confirm.rolled-back"
armed=0
if [ "$rollback" = 1 ] && [ -n "$prev" ]; then
  armed=1
  # The watchdog, detached so that it outlives a dropped connection. Its clock starts when the
  # activation has finished (.done), or after an hour if this session dies before that.
  setsid sh -c '
    n=0; while [ ! -e "$2.done" ] && [ $n -lt 3600 ]; do sleep 1; n=$((n+1)); done
    sleep "$1"
    if [ ! -e "$2" ]; then
      if [ "$6" = 1 ]; then nix-env -p "$3" --set "$4"; fi
      "$4/bin/switch-to-configuration" "$5"
      echo "no confirmation within $1 s" > "$2.rolled-back"
    fi
    rm -f "$2" "$2.done"
    # The note is for a deployer that reconnects late; it does not stay on the host for good.
    if [ -e "$2.rolled-back" ]; then sleep 600; rm -f "$2.rolled-back"; fi
  ' watchdog "$timeout" "$confirm" "$profile" "$prev" "$action" "$setprofile" </dev/null >/dev/null 2>&1 &
  echo "NIXLAB-WATCHDOG $!"
fi
if [ "$setprofile" = 1 ]; then
  mkdir -p "$(dirname "$profile")" && nix-env -p "$profile" --set "$closure" || { disarm; exit 11; }
fi
if "$closure/bin/switch-to-configuration" "$action"; then
  # An armed watchdog starts its clock now (and removes its files when done); else none is left.
  if [ "$armed" = 1 ]; then touch "$confirm.done"; fi
  echo NIXLAB-ACTIVATED
  exit 0
fi
status=$?
disarm # any rollback happens here, now
echo "NIXLAB-ACTIVATION-FAILED $status"
if [ "$rollback" = 1 ] && [ -n "$prev" ]; then
  if [ "$setprofile" = 1 ]; then nix-env -p "$profile" --set "$prev"; fi
  if "$prev/bin/switch-to-configuration" "$action"; then echo NIXLAB-ROLLED-BACK; exit 10; fi
  echo NIXLAB-ROLLBACK-FAILED
fi
exit 11
`;

/**
 * $1 confirm file  $2 armed (1/0) → confirm the activation: an armed watchdog stands down (and
 * removes the files when its time is up); without one, nothing is left on the host.
 */
export const confirmScript = 'if [ "$2" = 1 ]; then touch "$1"; else rm -f "$1" "$1.done"; fi';

/**
 * $1 confirm file → prints why the watchdog rolled back, if it did, and removes what is left of
 * that activation's files (the watchdog had already finished).
 */
export const rolledBackScript =
  'if [ -e "$1.rolled-back" ]; then cat "$1.rolled-back"; rm -f "$1" "$1.done" "$1.rolled-back"; fi; exit 0';

/** switch-to-configuration actions (as nixos-rebuild): which of them set the system profile. */
export const actions = ["switch", "boot", "test", "dry-activate"] as const;
export type Action = (typeof actions)[number];
export const setsProfile = (a: Action): boolean => a === "switch" || a === "boot";
