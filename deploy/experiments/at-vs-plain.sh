#!/usr/bin/env bash
# Issue 9: plain pretraining, then plain / ip / at fine-tuning from it, sampled with DDIM and DPM-Solver++ at few NFE
# (3 seeds each, ES on the plain fine-tune) and scored with fd_classifier; then the robustness of each fine-tune to
# perturbations of the sampler's intermediate states. The experiment's settings are conf/experiments/<name>.conf;
# results and their reading: docs/results.md. Every phase is skipped when its output exists, so the script resumes
# after a stop.
#
#   deploy/experiments/at-vs-plain.sh                        # fashion-mnist-at, everything (about 4.5 h on 2 cores)
#   PHASES="sample score" SEEDS=0 deploy/experiments/at-vs-plain.sh
#   d=$(mktemp -d); tar xzf ../shared/datasets/cifar10-jpeg.tar.gz -C "$d"
#   INPUT=$d/train COUNT=2000 OBJECTIVES="plain ip at at-rho0" deploy/experiments/at-vs-plain.sh cifar10-at
#
# Phase wall-clock times go to $ROOT/phases.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."

EXPERIMENT=${1:-fashion-mnist-at}
CONF=conf/experiments/$EXPERIMENT.conf
[[ -f $CONF ]] || { echo "experiment $EXPERIMENT: no $CONF" >&2; exit 2; }
ROOT=${ROOT:-runs/experiments/$EXPERIMENT}
INPUT=${INPUT:-}                     # dataset to prep (default: the config's input.path)
PRETRAIN_STEPS=${PRETRAIN_STEPS:-2500}
FINETUNE_STEPS=${FINETUNE_STEPS:-500}
SEEDS=${SEEDS:-"0 1 2"}
NFE50_SEEDS=${NFE50_SEEDS:-$SEEDS}  # seeds that also sample DDIM at NFE 50
ROBUST_SEEDS=${ROBUST_SEEDS:-$SEEDS} # seeds of the robustness grid
OBJECTIVES=${OBJECTIVES:-"plain ip at"} # fine-tunes; at-rho0 (a control) is at with rho = 0: no perturbation
PHASES=${PHASES:-"prep pretrain finetune reference sample score robustness report"}
COUNT=${COUNT:-10000}                # images per sample set of the main grid
ROBUST_COUNT=${ROBUST_COUNT:-2000}   # images per sample set of the robustness grid
RESULTS=${RESULTS:-docs/results/$EXPERIMENT}
ATDIFF="deploy/atdiff"

mkdir -p "$ROOT"
source deploy/experiments/phases.sh # timed, wants

if wants prep && [[ ! -f $ROOT/data/manifest.json ]]; then
    timed prep $ATDIFF prep --conf $CONF output.path=$ROOT/data ${INPUT:+input.path=$INPUT}
fi

if wants pretrain && [[ ! -f $ROOT/pretrain/checkpoints/step-$(printf %08d $PRETRAIN_STEPS).safetensors ]]; then
    timed pretrain $ATDIFF train --conf $CONF data.path=$ROOT/data run.dir=$ROOT/pretrain train.objective=plain \
        train.steps=$PRETRAIN_STEPS
fi

# Fine-tuning: the same minibatches (run.seed 1: same data order, t and eps draws) for every objective; at takes
# at.steps = 3 optimizer updates per minibatch (free AT), and so does the control at-rho0, whose perturbation stays
# 0: it separates AT's perturbation from its extra updates. A shorter EMA horizon (0.995, ~200 steps) so the EMA
# weights reflect the fine-tuning.
objective_keys() { # objective_keys OBJECTIVE: the train.* / at.* keys of a fine-tune
    case $1 in
        at-rho0) echo "train.objective=at at.rho=0" ;;
        *) echo "train.objective=$1" ;;
    esac
}
if wants finetune; then
    for obj in $OBJECTIVES; do
        [[ -f $ROOT/ft-$obj/checkpoints/step-$(printf %08d $FINETUNE_STEPS).safetensors ]] && continue
        # shellcheck disable=SC2046  # objective_keys gives separate key=value words
        timed "finetune-$obj" $ATDIFF train --conf $CONF data.path=$ROOT/data run.dir=$ROOT/ft-$obj run.seed=1 \
            $(objective_keys $obj) train.steps=$FINETUNE_STEPS train.init-checkpoint=$ROOT/pretrain \
            train.warmup-steps=0 train.ema-rate=0.995
    done
fi

# One feature classifier and one reference (train split) for every score, so all scores share their features.
if wants reference && [[ ! -f $ROOT/fd/reference.npz ]]; then
    timed classifier $ATDIFF classifier --conf $CONF data.path=$ROOT/data output.path=$ROOT/fd/classifier.safetensors
    timed reference $ATDIFF stats --conf $CONF data.path=$ROOT/data fid.classifier=$ROOT/fd/classifier.safetensors \
        output.path=$ROOT/fd/reference.npz
fi

# Sampling runs sample.partitions = 2 tasks at once, one thread each: on 2 cores this draws about 15% more images/s
# than two tasks of two threads.
sample() { # sample OBJECTIVE SEED COUNT OUT key=value...
    local obj=$1 seed=$2 count=$3 out=$4
    shift 4
    $ATDIFF sample --conf $CONF run.dir=$ROOT/ft-$obj sample.seed=$seed sample.count=$count sample.precision=bf16 \
        engine.threads=1 output.path=$out output.overwrite=true "$@"
}
score() { # score SAMPLES OUT
    $ATDIFF fid --conf $CONF samples.path=$1 reference.path=$ROOT/fd/reference.npz output.path=$2 output.overwrite=true
}

# The main grid: DDIM at NFE 5/10/20/50 and DPM-Solver++ at 5/10/20 for every fine-tune; ES for the plain fine-tune.
# DDIM at NFE 50 (the most expensive family: 50 of every 120 evaluations) runs for the seeds in NFE50_SEEDS only.
# Each family is skipped once its marker (.grid.done, .ddim50.done, .es.done) exists.
sample_part() { # sample_part OBJECTIVE SEED PART key=value...
    local obj=$1 seed=$2 part=$3 dir=$ROOT/samples/$1/seed$2
    shift 3
    [[ -f $dir/.$part.done ]] && return 0
    timed "sample-$obj-seed$seed-$part" sample $obj $seed $COUNT $dir/$part "$@"
    touch $dir/.$part.done
}
GRID=("sample.sampler=[ddim,dpm-solver++]" "sample.steps=[5,10,20]")
if wants sample; then
    for seed in $SEEDS; do
        for obj in $OBJECTIVES; do
            sample_part $obj $seed grid "${GRID[@]}"
            if [[ " $NFE50_SEEDS " == *" $seed "* ]]; then
                sample_part $obj $seed ddim50 sample.sampler=ddim sample.steps=50
            fi
            if [[ $obj == plain ]]; then
                sample_part plain $seed es "${GRID[@]}" sample.es=true
            fi
        done
    done
fi
if wants score; then
    for seed in $SEEDS; do
        for obj in $OBJECTIVES; do
            for part in grid ddim50 es; do
                [[ -f $ROOT/samples/$obj/seed$seed/.$part.done ]] || continue
                [[ -f $ROOT/scores/$obj/seed$seed/$part/fid.json ]] && continue
                timed "score-$obj-seed$seed-$part" score $ROOT/samples/$obj/seed$seed/$part $ROOT/scores/$obj/seed$seed/$part
            done
        done
    done
fi

# Robustness: DDIM at NFE 10 with every intermediate state perturbed (gaussian 0.1 and 0.2, gradient attack 0.1)
# and unperturbed (none, the baseline of each change), ROBUST_COUNT images per set, in its own tree ($ROOT/robust):
# a Frechet distance depends on the set size, so each change compares sets of the same size.
if wants robustness; then
    for seed in $ROBUST_SEEDS; do
        for obj in $OBJECTIVES; do
            for p in none:0 gaussian:0.1 gaussian:0.2 gradient:0.1; do
                kind=${p%%:*} radius=${p##*:}
                name=$kind$radius
                [[ $kind == none ]] && name=none
                out=$ROOT/robust/samples/$obj/seed$seed/$name
                scores=$ROOT/robust/scores/$obj/seed$seed/$name
                [[ -f $scores/fid.json ]] && continue
                timed "robust-$obj-seed$seed-$name" sample $obj $seed $ROBUST_COUNT $out sample.sampler=ddim \
                    sample.steps=10 sample.perturbation=$kind sample.perturbation-radius=$radius
                timed "score-$obj-seed$seed-robust-$name" score $out $scores
            done
        done
    done
fi

# The small outputs that docs/results.md shows and the repository keeps: tables, plots, every fid.json, the training
# metrics and configurations, one sample grid per fine-tune, phase times. No checkpoints, no samples.
if wants report; then
    runs=$(for obj in $OBJECTIVES; do printf '"%s",' "$ROOT/ft-$obj"; done)
    $ATDIFF compare --conf $CONF compare.scores=$ROOT/scores "compare.runs=[${runs%,}]" output.path=$RESULTS
    if [[ -d $ROOT/robust/scores ]]; then
        $ATDIFF compare --conf $CONF compare.scores=$ROOT/robust/scores output.path=$RESULTS/robustness
    fi
    for run in pretrain $(printf 'ft-%s ' $OBJECTIVES); do
        mkdir -p $RESULTS/runs/$run
        cp $ROOT/$run/metrics.jsonl $ROOT/$run/config.conf $RESULTS/runs/$run/
    done
    for tree in scores robust/scores; do
        (cd $ROOT/$tree && find . -name fid.json) | while read -r f; do
            mkdir -p "$RESULTS/$tree/$(dirname "$f")"
            cp "$ROOT/$tree/$f" "$RESULTS/$tree/$f"
        done
    done
    for obj in $OBJECTIVES; do
        cp $ROOT/samples/$obj/seed0/grid/ddim-nfe10/grid.png $RESULTS/grid-$obj-ddim-nfe10.png
    done
    cp $ROOT/phases.tsv $RESULTS/phases.tsv
fi
echo "done: scores under $ROOT/scores, summary in $RESULTS, phase times in $ROOT/phases.tsv"
