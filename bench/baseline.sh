# Sourced by bench/bench-verify, bench-dump and bench-triage: with BASELINE=PATH (another
# binlogkit binary, say the build before a change), time the same command with both
# binaries in turns, ROUNDS times (default 5; this machine's speed drifts within minutes,
# so the two are interleaved rather than run one after the other), and print the medians
# and their ratio. Without BASELINE it prints nothing.
#
#   compare_with_baseline LABEL ARGS...   runs "$bin ARGS..." and "$BASELINE ARGS..."
compare_with_baseline() {
  [[ -n ${BASELINE:-} ]] || return 0
  [[ -x $BASELINE ]] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 2; }
  local label=$1 rounds=${ROUNDS:-5} i s e ours=() base=()
  shift
  for ((i = 0; i < rounds; i++)); do
    s=$(date +%s.%N); "$bin" "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    ours+=("$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}')")
    s=$(date +%s.%N); "$BASELINE" "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    base+=("$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}')")
  done
  local mo mb
  mo=$(printf '%s\n' "${ours[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  mb=$(printf '%s\n' "${base[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
  awk -v l="$label" -v o="$mo" -v b="$mb" -v r="$rounds" -v os="${ours[*]}" -v bs="${base[*]}" 'BEGIN {
    printf "%s: this build %.3f s, baseline %.3f s (medians of %d rounds in turns)\n", l, o, b, r
    printf "  this build: %s\n  baseline:   %s\n", os, bs
    printf "  ratio this/baseline %.3f (above 1: slower)\n", o / b
  }'
}
