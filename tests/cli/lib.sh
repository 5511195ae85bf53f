# shellcheck shell=bash
# Shared by the CLI tests (sourced, not run). Sourcing sets `root` (the checkout), `td`
# (its MariaDB 10.11 test binlogs) and `work` (a scratch directory removed at exit). Then:
#   fail TEXT             prints "FAIL: TEXT" and exits 1 (with KEEP_GOING=1: counts it in
#                         $failures and goes on, to list every check an older binary fails)
#   run CODE COMMAND...   runs it with stdout in $work/out and stderr in $work/err, and
#                         fails unless it exits with CODE
#   has out|err TEXT      fails unless that output holds TEXT
#   lacks out|err TEXT    fails if it does
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
td=$root/testdata/mariadb-10.11
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  [[ ${KEEP_GOING:-0} == 1 ]] || exit 1
  failures=$((failures + 1))
}
run() {
  local want=$1
  shift
  set +e
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  set -e
  [[ $got == "$want" ]] || { cat "$work/out" "$work/err" >&2; fail "$* exited $got, expected $want"; }
  return 0
}
has() { grep -qF -- "$2" "$work/$1" || { cat "$work/$1" >&2; fail "$1 lacks: $2"; }; }
lacks() { ! grep -qF -- "$2" "$work/$1" || { cat "$work/$1" >&2; fail "$1 has: $2"; }; }
