#!/usr/bin/env bash
# The SQL quoting binlogkit writes (sql_quote.hpp) against a real MariaDB 10.11: every
# hostile byte string comes back as exactly its bytes, under every sql_mode ('',
# NO_BACKSLASH_ESCAPES, ANSI_QUOTES, ANSI) and client character set (gbk, sjis, big5, in
# which a byte >= 0x80 can swallow the quote or backquote after it, and utf8mb4).
#
# Usage: tests/server/quoting_e2e.sh QUOTE_PROBE   (tests/support/quote_probe.cpp)
#
# 1. Strings: SELECT HEX(<our literal>) for each string, the result compared with the
#    string's own hex.
# 2. Names: CREATE DATABASE <our identifier> (after the switch to utf8mb4 when our rules
#    call for it in that client character set), the one new schema's name read back as hex
#    in a utf8mb4 session and compared, then DROP DATABASE <our identifier> and none left.
#    Names are what a server can hold: no NUL (it refuses one in a name; NUL is among the
#    strings), no trailing blank.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
sandbox=$root/scripts/mariadb-sandbox
probe=${1:?usage: quoting_e2e.sh QUOTE_PROBE}
test_name=quoting_e2e
# shellcheck source=tests/server/lib.sh
source "$root/tests/server/lib.sh"

[[ -x $probe ]] || fail "no quote probe at $probe"
need_tools mariadbd mariadb xxd

modes=('' NO_BACKSLASH_ESCAPES ANSI_QUOTES ANSI)
charsets=(gbk sjis big5 utf8mb4)
strings=(
  ''                        # empty
  6974277320                # it's + blank
  6261636b5c736c617368      # back\slash
  5c27                      # \'
  27272727                  # ''''
  606060                    # ```
  22647122                  # "dq"
  0027005c0a0d1a            # NUL ' NUL \ LF CR ^Z
  a327                      # gbk lead byte, quote
  a35c27                    # gbk lead byte, backslash, quote
  955c27                    # sjis lead byte (表), backslash, quote
  815c                      # sjis lead byte, backslash
  a45c27                    # big5 lead byte, backslash, quote
  b360                      # big5 lead byte, backquote
  fffe80                    # not UTF-8
  2a2f3b2d2d20            # */;--
  e8a1a85c27                # 表\' in UTF-8
)
names=(
  612762          # a'b
  615c62          # a\b
  616062          # a`b
  612262          # a"b
  610a62          # a LF b
  60              # `
  c3a96078        # é`x: A9 60 is one character in gbk and big5
  e381816078      # ぁ`x: 81 60 is one character in sjis
  e8a1a85c78      # 表\x
  e8a1a8          # 表
  783b44524f50202d2d2061   # x;DROP -- a
)

make_work quoting-e2e
run() { # run CHARSET < SQL: the statements as the mariadb client sends them
  "$sandbox" sql "$work/s" --default-character-set="$1" --binary-mode --batch --skip-column-names
}
user_schemas="SELECT HEX(schema_name) FROM information_schema.schemata WHERE schema_name NOT IN
  ('mysql', 'information_schema', 'performance_schema', 'sys', 'test') ORDER BY 1"

step "server"
"$sandbox" start "$work/s" --server-id 1 >/dev/null
[[ -z $(q "$work/s" "$user_schemas") ]] || fail "the fresh server holds user databases"

checked_strings=0 checked_names=0
for mode in "${modes[@]}"; do
  for cs in "${charsets[@]}"; do
    step "strings, sql_mode='$mode', client $cs"
    {
      echo "SET SESSION sql_mode='$mode';"
      for s in "${strings[@]}"; do "$probe" select "$s"; done
    } >"$work/strings.sql"
    run "$cs" <"$work/strings.sql" >"$work/strings.out" 2>&1 || { cat "$work/strings.out" >&2; fail "the statements failed"; }
    printf '%s\n' "${strings[@]^^}" >"$work/strings.want"
    [[ -s $work/strings.want && -s $work/strings.out ]] || fail "nothing to compare"
    diff "$work/strings.want" "$work/strings.out" >&2 || fail "a string literal did not read back as its bytes"
    checked_strings=$((checked_strings + ${#strings[@]}))

    for n in "${names[@]}"; do
      step "name $n, sql_mode='$mode', client $cs"
      { echo "SET SESSION sql_mode='$mode';" && "$probe" create "$cs" "$n"; } >"$work/create.sql"
      run "$cs" <"$work/create.sql" >"$work/create.out" 2>&1 || { cat "$work/create.sql" "$work/create.out" >&2; fail "CREATE DATABASE failed"; }
      got=$(q "$work/s" "$user_schemas")
      [[ $got == "${n^^}" ]] || fail "the server created [$got], expected [${n^^}]"
      { echo "SET SESSION sql_mode='$mode';" && "$probe" drop "$cs" "$n"; } >"$work/drop.sql"
      run "$cs" <"$work/drop.sql" >"$work/drop.out" 2>&1 || { cat "$work/drop.sql" "$work/drop.out" >&2; fail "DROP DATABASE failed"; }
      got=$(q "$work/s" "$user_schemas")
      [[ -z $got ]] || fail "left after DROP DATABASE: [$got]"
      checked_names=$((checked_names + 1))
    done
  done
done
echo "$test_name: $checked_strings string literals and $checked_names names read back exactly"
