# Shared helpers for nixlab's shell scripts. Sourced, not executed.

log()  { printf '[nixlab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die()  { printf '[nixlab] error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

nixlab_cache_dir() {
  printf '%s\n' "${NIXLAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nixlab}"
}

# Is PID 1 systemd? Then services are started through it, not by hand.
have_systemd() { [ -d /run/systemd/system ]; }

# Root, or sudo without a password; otherwise say what is missing and stop.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo && sudo -n true 2>/dev/null; then sudo "$@"
  else die "needs root for: $* — run as root, or give this user passwordless sudo"
  fi
}

# Package names (dpkg) that are not installed, from the arguments.
missing_debs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || printf '%s\n' "$p"
  done
}

# The version of nix on PATH as "MAJOR.MINOR", or nothing.
nix_version() {
  have nix || return 0
  nix --version 2>/dev/null | sed -n 's/.* \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1
}

version_ge() { # version_ge A B: A >= B (MAJOR.MINOR)
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# Under CI? (CI=true from GitHub Actions, GitLab and most others; unset, "false" or "0" outside.)
in_ci() { case "${CI:-}" in "" | false | 0) return 1 ;; *) return 0 ;; esac; }

# Where nixlab keeps its state (GC roots, the local Pulumi backend, a generated passphrase);
# the same rule as provider/nix/gc-roots.ts defaultStateDir.
nixlab_state_dir() {
  printf '%s\n' "${NIXLAB_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/nixlab}"
}
