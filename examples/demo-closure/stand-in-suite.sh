#!/bin/sh
# A STAND-IN SUITE, NOT fstests. The demo fixture is a busybox system without fstests; this script
# is its `nixlab-run-suite` (the runner contract in provider/host/suite-run.ts) so that a suite run
# can be proven end to end. It plays a tiny fstests section and leaves what fstests' `check` leaves
# in its results folder, in the same layout and formats:
#   <results>/check.log, check.time                       (all sections)
#   <results>/<section>/check.log, check.time, result.xml (xunit, rewritten before every test)
#   <results>/<section>/<group>/<test>.out.bad, .full, .notrun
# and prints what `check` prints, one line per finished test. On SIGTERM it wraps up like `check`
# (the report so far, "Interrupted!").
#
# Its tests: generic/001 passes, generic/002 and generic/003 fail with an output mismatch,
# generic/004 is not run, generic/005 and xfs/001 pass. Like check, it exits 1 when tests failed.
# Its behaviour can be changed on the guest (the demo takes no suite options) in
# /run/nixlab-stand-in.conf: SECONDS_PER_TEST=<n> (default 1) is how long each test takes;
# HANG_AT=<test> makes that test hang until the run is stopped; PASSING="<test> ..." makes
# those tests pass.
set -u

results=${NIXLAB_RESULTS_DIR:?NIXLAB_RESULTS_DIR is not set}
# nixlab's fstests runner names the section "nixlab" when the stack gives none.
section=${NIXLAB_SUITE_SECTION:-nixlab}
SECONDS_PER_TEST=1
HANG_AT=""
PASSING=""
if [ -f /run/nixlab-stand-in.conf ]; then . /run/nixlab-stand-in.conf; fi
per_test=$SECONDS_PER_TEST
hang_at=$HANG_AT
if [ "${NIXLAB_SUITE:-}" != fstests ]; then
  echo "the demo stand-in only imitates fstests, not '${NIXLAB_SUITE:-}'" >&2
  exit 2
fi

report_dir=$results/$section
tmp=/tmp/stand-in.$$
mkdir -p "$report_dir" "$tmp" || exit 1
: >"$tmp.xunit"
: >"$tmp.time"
ran=""
notrun=""
bad=""
n_try=0
n_bad=0
n_notrun=0
fstests_start=$(date -Iseconds)
sect_start=$(date +%s)
needwrap=true
interrupted=false

xml() { sed -e 's/&/\&amp;/g' -e 's/>/\&gt;/g' -e 's/</\&lt;/g' -e "s/'/\&apos;/g" -e 's/"/\&quot;/g'; }

section_report() { # section_report TIME: result.xml with the test cases so far
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<testsuite'
    echo ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    echo ' xsi:schemaLocation="https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git/tree/doc/xunit.xsd"'
    echo ''
    echo ' name="xfstests"'
    echo " failures=\"$n_bad\" skipped=\"$n_notrun\" tests=\"$n_try\" time=\"$1\""
    echo " hostname=\"$(hostname)\""
    echo "  start_timestamp=\"$fstests_start\""
    echo "        timestamp=\"$fstests_start\""
    echo " report_timestamp=\"$(date -Iseconds)\""
    echo '>'
    printf '\t<properties>\n'
    printf '\t\t<property name="ARCH" value="%s"/>\n' "$(uname -m)"
    printf '\t\t<property name="FSTYP" value="xfs"/>\n'
    printf '\t\t<property name="KERNEL" value="%s"/>\n' "$(uname -r)"
    printf '\t\t<property name="SECTION" value="%s"/>\n' "$section"
    printf '\t</properties>\n'
    cat "$tmp.xunit"
    echo '</testsuite>'
  } >"$report_dir/result.xml.new" && mv "$report_dir/result.xml.new" "$report_dir/result.xml"
}

log_both() { echo "$1" >>"$results/check.log"; echo "$1" >>"$report_dir/check.log"; }

wrapup() {
  $needwrap || return 0
  needwrap=false
  sort "$tmp.time" >"$results/check.time"
  cp "$results/check.time" "$report_dir/check.time"
  log_both ""
  log_both "Kernel version: $(uname -r)"
  log_both "$(date)"
  echo "Ran:$ran"
  log_both "Ran:$ran"
  if $interrupted; then log_both "Interrupted!"; echo "Interrupted!"; fi
  if [ -n "$notrun" ]; then echo "Not run:$notrun"; log_both "Not run:$notrun"; fi
  if [ -n "$bad" ]; then
    echo "Failures:$bad"
    echo "Failed $n_bad of $n_try tests"
    log_both "Failures:$bad"
    log_both "Failed $n_bad of $n_try tests"
  else
    echo "Passed all $n_try tests"
    log_both "Passed all $n_try tests"
  fi
  section_report "$(($(date +%s) - sect_start))"
  rm -rf "$tmp" "$tmp.xunit" "$tmp.time"
}
trap 'interrupted=true; wrapup; exit 1' TERM INT HUP

echo "SECTION       -- $section"
echo "FSTYP         -- xfs (stand-in, nothing is tested)"
echo "PLATFORM      -- Linux/$(uname -m) $(hostname) $(uname -r)"
echo ""

run_test() { # run_test ID STATUS DETAIL
  id=$1 status=$2 detail=$3
  case " $PASSING " in *" $id "*) status=pass ;; esac
  group=${id%%/*}
  mkdir -p "$report_dir/$group"
  section_report ""
  printf '%s       ' "$id"
  # Like check: a test counts as run ("Ran:", the xunit total) once it starts, even when not run.
  ran="$ran $id"
  n_try=$((n_try + 1))
  start=$(date +%s)
  if [ "$id" = "$hang_at" ]; then
    while :; do sleep 1; done
  fi
  sleep "$per_test" &
  wait $!
  stop=$(date +%s)
  t=$((stop - start))
  case $status in
  notrun)
    echo "$detail" >"$report_dir/$id.notrun"
    echo "[not run] $detail"
    notrun="$notrun $id"
    n_notrun=$((n_notrun + 1))
    printf '\t<testcase classname="xfstests.%s" name="%s" time="%s">\n\t\t<skipped message="%s" />\n\t</testcase>\n' \
      "$section" "$id" "$t" "$(echo "$detail" | xml)" >>"$tmp.xunit"
    return
    ;;
  esac
  if [ "$status" = pass ]; then
    echo " ${t}s"
    echo "$id $t" >>"$tmp.time"
    printf '\t<testcase classname="xfstests.%s" name="%s" time="%s">\n\t</testcase>\n' "$section" "$id" "$t" >>"$tmp.xunit"
    return
  fi
  num=${id#*/}
  printf 'QA output created by %s\nSilence is golden\n' "$num" >"$tmp/$num.out"
  printf 'QA output created by %s\n%s\n' "$num" "$detail" >"$report_dir/$id.out.bad"
  printf 'stand-in test %s: %s\n' "$id" "$detail" >"$report_dir/$id.full"
  msg="- output mismatch (see $report_dir/$id.out.bad)"
  echo "$msg"
  diff -u "$tmp/$num.out" "$report_dir/$id.out.bad" | sed -e 's/^\(.\)/    \1/'
  bad="$bad $id"
  n_bad=$((n_bad + 1))
  {
    printf '\t<testcase classname="xfstests.%s" name="%s" time="%s">\n' "$section" "$id" "$t"
    printf '\t\t<failure message="%s" type="TestFail" />\n' "$(echo "$msg" | xml)"
    printf '\t\t<system-out>\n<![CDATA[\n'
    cat "$report_dir/$id.full"
    printf ']]>\n\t\t</system-out>\n'
    printf '\t\t<system-err>\n<![CDATA[\n'
    diff -u "$tmp/$num.out" "$report_dir/$id.out.bad"
    printf ']]>\n\t\t</system-err>\n'
    printf '\t</testcase>\n'
  } >>"$tmp.xunit"
}

run_test generic/001 pass ""
run_test generic/002 fail "found 1 extent beyond EOF"
run_test generic/003 fail "atime not updated after read"
run_test generic/004 notrun "this test requires a valid \$SCRATCH_LOGDEV"
run_test generic/005 pass ""
run_test xfs/001 pass ""
wrapup
[ "$n_bad" -eq 0 ]
