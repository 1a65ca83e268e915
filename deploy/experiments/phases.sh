# Sourced by the experiment scripts of this folder: the phase helpers they share. Needs ROOT (the experiment's run
# folder) and PHASES (the phases to run, separated by spaces).

timed() { # timed NAME command...: runs it and appends "NAME<TAB>seconds" to $ROOT/phases.tsv
    local name=$1 start
    shift
    start=$(date +%s)
    "$@"
    printf '%s\t%s\n' "$name" "$(( $(date +%s) - start ))" >> "$ROOT/phases.tsv"
}
wants() { [[ " $PHASES " == *" $1 "* ]]; } # wants PHASE: whether PHASES names it
