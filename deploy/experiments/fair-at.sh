#!/usr/bin/env bash
# Issue 17: a fair test of the paper's claim. Plain pretraining to a plateau of its DDIM-10 score, then fine-tunes
# from that checkpoint on the same minibatches, t and eps draws (plain; at-rho0, AT's K = 3 updates per minibatch
# without a perturbation, the control; at with rho 0.1; at with rho scaled to the authors' per-pixel size), sampled
# where AT acts (ddim with leading and trailing spacing, ddpm, dpm-solver++ at NFE 5/10/20, 3 sampling seeds),
# scored with fd_classifier, plus the held-out eps-MSE under perturbations (eps-mse) and robustness sampling at the
# training radius; `compare` writes the paired differences. Settings: conf/experiments/<name>.conf (the data set
# comes from it or from INPUT=, any format prep reads). Every phase is skipped when its output exists, so the
# script resumes after a stop; phase times go to $ROOT/phases.tsv.
#
#   deploy/experiments/fair-at.sh                                     # fashion-mnist-fair, every phase
#   PHASES="prep reference pretrain" deploy/experiments/fair-at.sh    # only the plateau search
#   INPUT=/data/my-images CONF=conf/experiments/my.conf deploy/experiments/fair-at.sh my-experiment
set -euo pipefail
cd "$(dirname "$0")/../.."

EXPERIMENT=${1:-fashion-mnist-fair}
CONF=${CONF:-conf/experiments/$EXPERIMENT.conf}
[[ -f $CONF ]] || { echo "experiment $EXPERIMENT: no $CONF" >&2; exit 2; }
ROOT=${ROOT:-runs/experiments/$EXPERIMENT}
INPUT=${INPUT:-}                          # dataset to prep (default: the configuration's input.path)
PLATEAU_EVERY=${PLATEAU_EVERY:-5000}      # pretraining steps between two scores
PLATEAU_TOL=${PLATEAU_TOL:-0.5}           # a plateau: the score improved by less than this since the last score
PLATEAU_MAX=${PLATEAU_MAX:-40000}         # pretraining stops here whatever the scores
PLATEAU_COUNT=${PLATEAU_COUNT:-2000}      # images of each plateau score (DDIM NFE 10, seed 0)
PHASES=${PHASES:-"prep reference pretrain finetune sample score eps-mse robustness report"}
ATDIFF="deploy/atdiff"

mkdir -p "$ROOT"
timed() { # timed NAME command...: runs it and appends "NAME<TAB>seconds" to phases.tsv
    local name=$1 start
    shift
    start=$(date +%s)
    "$@"
    printf '%s\t%s\n' "$name" "$(( $(date +%s) - start ))" >> "$ROOT/phases.tsv"
}
wants() { [[ " $PHASES " == *" $1 "* ]]; }
step_file() { printf '%s/checkpoints/step-%08d.safetensors' "$1" "$2"; }

if wants prep && [[ ! -f $ROOT/data/manifest.json ]]; then
    timed prep $ATDIFF prep --conf $CONF output.path=$ROOT/data ${INPUT:+input.path=$INPUT}
fi

# One feature classifier and one reference (train split) for every score, so all scores share their features.
if wants reference && [[ ! -f $ROOT/fd/reference.npz ]]; then
    timed classifier $ATDIFF classifier --conf $CONF data.path=$ROOT/data output.path=$ROOT/fd/classifier.safetensors
    timed reference $ATDIFF stats --conf $CONF data.path=$ROOT/data fid.classifier=$ROOT/fd/classifier.safetensors \
        output.path=$ROOT/fd/reference.npz
fi

score() { # score SAMPLES OUT
    $ATDIFF fid --conf $CONF samples.path=$1 reference.path=$ROOT/fd/reference.npz output.path=$2 output.overwrite=true
}
fd_of() { # fd_of FID_JSON: the score of the first (only) set a fid.json holds
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r.get("fid", r.get("fd_classifier")))' "$1"
}

# 1. Plain pretraining until the DDIM-10 score of its EMA weights (PLATEAU_COUNT images, seed 0) improves by less
# than PLATEAU_TOL between two scores PLATEAU_EVERY steps apart; $ROOT/plateau/scores.tsv keeps every score and
# $ROOT/plateau/step the step fine-tuning starts from.
if wants pretrain && [[ ! -f $ROOT/plateau/step ]]; then
    mkdir -p $ROOT/plateau
    previous=""
    for (( s = PLATEAU_EVERY; s <= PLATEAU_MAX; s += PLATEAU_EVERY )); do
        if [[ ! -f $ROOT/plateau/step-$s/fid.json ]]; then
            if [[ ! -f $(step_file $ROOT/pretrain $s) ]]; then
                timed pretrain-$s $ATDIFF train --conf $CONF data.path=$ROOT/data run.dir=$ROOT/pretrain \
                    train.objective=plain train.steps=$s
            fi
            timed plateau-sample-$s $ATDIFF sample --conf $CONF run.dir=$ROOT/pretrain sample.seed=0 \
                sample.count=$PLATEAU_COUNT sample.sampler=ddim sample.steps=10 engine.threads=1 \
                output.path=$ROOT/plateau/samples-$s output.overwrite=true
            timed plateau-score-$s score $ROOT/plateau/samples-$s $ROOT/plateau/step-$s
            rm -rf $ROOT/plateau/samples-$s
        fi
        current=$(fd_of $ROOT/plateau/step-$s/fid.json)
        grep -q "^$s	" $ROOT/plateau/scores.tsv 2>/dev/null || printf '%s\t%s\n' $s $current >> $ROOT/plateau/scores.tsv
        echo "pretrain: step $s  ddim-10 score $current${previous:+ (previous $previous)}"
        if [[ -n $previous ]] && python3 -c "import sys; sys.exit(0 if $current > $previous - $PLATEAU_TOL else 1)"; then
            echo $s > $ROOT/plateau/step
            break
        fi
        previous=$current
    done
    [[ -f $ROOT/plateau/step ]] || echo $PLATEAU_MAX > $ROOT/plateau/step
fi
