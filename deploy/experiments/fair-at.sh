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
PHASES=${PHASES:-"prep reference pretrain finetune eps-mse sample score robustness report"}
ATDIFF="deploy/atdiff"

mkdir -p "$ROOT"
source deploy/experiments/phases.sh # timed, wants
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
                sample.count=$PLATEAU_COUNT sample.sampler=ddim sample.nfe=10 engine.threads=1 \
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

# The data's C*H*W, from the prepared dataset's manifest: the per-pixel scale of every l2 radius below.
PIXELS=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["channels"]*m["height"]*m["width"])' \
    $ROOT/data/manifest.json)
per_pixel() { python3 -c "import math; print(round($1 / math.sqrt($PIXELS), 6))"; } # per_pixel NORM: NORM / sqrt(C*H*W)

# 2. Fine-tunes from the plateau checkpoint: fp32, the pretraining learning rate, no warm-up, no clipping, every run on
# the minibatches, t and eps draws of its training seed (run.seed = k, folder train<k>). at and at-rho0 take K = 3
# optimizer updates (and EMA updates) per minibatch, so their EMA rate per update is EMA_RATE^(1/3): every run averages
# over the same number of minibatches. at-pp scales rho so the per-pixel perturbation is the authors' on CIFAR-10
# 32x32x3: rho = 0.1 sqrt(C*H*W / 3072). at-delta ascends on the loss whose target moves with delta (at.target=delta):
# with the authors' delta_detach the ascent direction is the network's alone, which at small t lowers the loss.
FT_STEPS=${FT_STEPS:-1000}
EMA_RATE=${EMA_RATE:-0.995}
RUNS=${RUNS:-"plain:1 at-rho0:1 at-rho0:2 at:1 at:2 at-pp:1 at-delta:1"}   # name:training-seed
K=3
EMA_K=$(python3 -c "print(round($EMA_RATE ** (1 / $K), 8))")
RHO_PP=$(python3 -c "import math; print(round(0.1 * math.sqrt($PIXELS / 3072), 6))")
run_keys() { # run_keys NAME: the objective keys of a fine-tune
    case $1 in
        plain) echo "train.objective=plain train.ema-rate=$EMA_RATE" ;;
        at-rho0) echo "train.objective=at at.steps=$K at.rho=0 train.ema-rate=$EMA_K" ;;
        at) echo "train.objective=at at.steps=$K at.rho=0.1 train.ema-rate=$EMA_K" ;;
        at-pp) echo "train.objective=at at.steps=$K at.rho=$RHO_PP train.ema-rate=$EMA_K" ;;
        at-delta) echo "train.objective=at at.steps=$K at.rho=0.1 at.target=delta train.ema-rate=$EMA_K" ;;
        *) echo "unknown fine-tune $1 in RUNS" >&2; exit 2 ;;
    esac
}
if wants finetune; then
    for r in $RUNS; do
        name=${r%%:*} k=${r##*:}
        dir=$ROOT/ft/$name/train$k
        [[ -f $(step_file $dir $FT_STEPS) ]] && continue
        # shellcheck disable=SC2046  # run_keys gives separate key=value words
        timed "finetune-$name-train$k" $ATDIFF train --conf $CONF data.path=$ROOT/data run.dir=$dir run.seed=$k \
            $(run_keys $name) train.steps=$FT_STEPS train.init-checkpoint=$ROOT/pretrain train.warmup-steps=0 \
            train.precision=fp32 train.checkpoint-every=500 train.keep-checkpoints=1
    done
fi

# 3. The held-out eps-MSE of each fine-tune (and the pretrained model) under random and one-step gradient deltas of
# norm 0, 0.1, 0.2, 0.3, per t-bin, on EPS_COUNT test images with the same draws for every model. It
# needs no sampling and takes minutes, so it runs before the hours of sampling.
EPS_COUNT=${EPS_COUNT:-2000}
if wants eps-mse; then
    for r in pretrain $RUNS; do
        if [[ $r == pretrain ]]; then dir=$ROOT/pretrain out=$ROOT/eps-mse/pretrain; else
            name=${r%%:*} k=${r##*:}; dir=$ROOT/ft/$name/train$k out=$ROOT/eps-mse/$name/train$k; fi
        [[ -f $out/eps-mse.json ]] && continue
        timed "eps-mse-${out#$ROOT/eps-mse/}" $ATDIFF eps-mse --conf $CONF run.dir=$dir data.path=$ROOT/data \
            eps-mse.count=$EPS_COUNT output.path=$out output.overwrite=true
    done
fi

# 4. Sampling where AT acts, SEEDS sampling seeds of COUNT images, fp32: ddim with trailing spacing and dpm-solver++
# (part "grid"), ddim with the authors' leading spacing (from t = 0; part "leading"), ddpm ancestral with
# improved-diffusion's section spacing (part "ddpm"), each at NFE 5, 10, 20.
# 5. Robustness sampling at the training radius: ddim (leading, NFE 10) with every intermediate state perturbed by
# ||delta|| = ROBUST_NORM per sample (random and one-step gradient), against the unperturbed set of the same seed: the
# leading part's NFE-10 set (an image depends on the seed and its index only, so that set is the unperturbed run).
# Both go seed by seed (every run's grid, then every run's robustness), so a stopped run has every measure at the
# seeds it finished.
SEEDS=${SEEDS:-"0 1 2"}
COUNT=${COUNT:-2000}
NFES=${NFES:-"[5,10,20]"}
ROBUST_NORM=${ROBUST_NORM:-0.2}
radius=$(per_pixel $ROBUST_NORM) # the robustness phase's per-pixel radius
sample() { # sample RUN_DIR SEED COUNT OUT key=value...
    local dir=$1 seed=$2 count=$3 out=$4
    shift 4
    $ATDIFF sample --conf $CONF run.dir=$dir sample.seed=$seed sample.count=$count sample.precision=fp32 \
        engine.threads=1 output.path=$out output.overwrite=true "$@"
}
part_keys() { # part_keys PART: the sample.* keys of a part
    case $1 in
        grid) echo "sample.sampler=[ddim,dpm-solver++] sample.spacing=trailing sample.nfe=$NFES" ;;
        leading) echo "sample.sampler=ddim sample.spacing=leading sample.nfe=$NFES" ;;
        ddpm) echo "sample.sampler=ddpm sample.spacing=linspace sample.nfe=$NFES" ;;
    esac
}
unperturbed_scores() { # unperturbed_scores LEADING_FID_JSON OUT_FID_JSON: the NFE-10 entry of a leading part's scores
    mkdir -p "$(dirname "$2")"
    python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); f["results"]=[r for r in f["results"] if r["nfe"]==10]
assert len(f["results"]) == 1, sys.argv[1] + ": no single ddim NFE-10 set"; json.dump(f, open(sys.argv[2], "w"), indent=1)' "$1" "$2"
}
PARTS="grid leading ddpm"
for seed in $SEEDS; do
    if wants sample || wants score; then
        for r in $RUNS; do
            name=${r%%:*} k=${r##*:}
            for part in $PARTS; do
                scores=$ROOT/scores/$name/train$k/seed$seed/$part
                [[ -f $scores/fid.json ]] && continue
                out=$ROOT/samples/$name/train$k/seed$seed/$part
                if wants sample && [[ ! -f $out/.done ]]; then
                    # shellcheck disable=SC2046
                    timed "sample-$name-train$k-seed$seed-$part" sample $ROOT/ft/$name/train$k $seed $COUNT $out \
                        $(part_keys $part)
                    touch $out/.done
                fi
                if wants score && [[ -f $out/.done ]]; then
                    timed "score-$name-train$k-seed$seed-$part" score $out $scores
                    rm -rf $out # scored: the images are not kept
                fi
            done
        done
    fi
    if wants robustness; then
        for r in $RUNS; do
            name=${r%%:*} k=${r##*:}
            leading=$ROOT/scores/$name/train$k/seed$seed/leading/fid.json
            none=$ROOT/robust/scores/$name/train$k/seed$seed/none/fid.json
            [[ -f $leading && ! -f $none ]] && unperturbed_scores $leading $none
            for kind in gaussian gradient; do
                scores=$ROOT/robust/scores/$name/train$k/seed$seed/$kind
                [[ -f $scores/fid.json ]] && continue
                out=$ROOT/robust/samples/$name/train$k/seed$seed/$kind
                timed "robust-$name-train$k-seed$seed-$kind" sample $ROOT/ft/$name/train$k $seed $COUNT $out \
                    sample.sampler=ddim sample.spacing=leading sample.nfe=10 sample.perturbation=$kind \
                    sample.perturbation-radius=$radius
                timed "score-robust-$name-train$k-seed$seed-$kind" score $out $scores
                rm -rf $out
            done
        done
    fi
done

# 6. The small outputs docs/results.md shows and the repository keeps: paired differences (compare), tables, plots,
# every fid.json and eps-mse.json, the plateau scores, each run's metrics and configuration, phase times.
RESULTS=${RESULTS:-docs/results/$EXPERIMENT}
if wants report; then
    runs=$(for r in $RUNS; do printf '"%s",' "$ROOT/ft/${r%%:*}/train${r##*:}"; done)
    paired() { # paired TREE: the compare.paired keys for the treatments TREE has outputs of (it runs on partial data)
        local t
        t=$(for r in $RUNS; do n=${r%%:*}; [[ $n == plain || $n == at-rho0 || ! -d $ROOT/$1/$n ]] || echo $n; done \
            | sort -u | paste -sd,)
        if [[ -n $t ]]; then echo "compare.paired.treatments=[$t] compare.paired.control=at-rho0 compare.paired.baseline=plain"; fi
    }
    # shellcheck disable=SC2046  # paired gives separate key=value words
    $ATDIFF compare --conf $CONF compare.scores=$ROOT/scores "compare.runs=[${runs%,}]" $(paired scores) \
        compare.progress=$ROOT/plateau output.path=$RESULTS
    if [[ -d $ROOT/eps-mse ]]; then
        # shellcheck disable=SC2046
        $ATDIFF compare --conf $CONF compare.eps-mse=$ROOT/eps-mse $(paired eps-mse) output.path=$RESULTS
    fi
    if [[ -d $ROOT/robust/scores ]]; then
        # shellcheck disable=SC2046
        $ATDIFF compare --conf $CONF compare.scores=$ROOT/robust/scores $(paired robust/scores) \
            output.path=$RESULTS/robustness
    fi
    for tree in scores robust/scores eps-mse plateau; do
        [[ -d $ROOT/$tree ]] || continue
        (cd $ROOT/$tree && find . -name fid.json -o -name eps-mse.json -o -name scores.tsv) | while read -r f; do
            mkdir -p "$RESULTS/$tree/$(dirname "$f")"
            cp "$ROOT/$tree/$f" "$RESULTS/$tree/$f"
        done
    done
    mkdir -p $RESULTS/runs/pretrain
    cp $ROOT/pretrain/metrics.jsonl $ROOT/pretrain/config.conf $RESULTS/runs/pretrain/
    for r in $RUNS; do
        d=ft/${r%%:*}/train${r##*:}
        mkdir -p $RESULTS/runs/$d
        cp $ROOT/$d/metrics.jsonl $ROOT/$d/config.conf $RESULTS/runs/$d/
    done
    cp $ROOT/phases.tsv $RESULTS/phases.tsv
fi
echo "done: $ROOT (phase times in $ROOT/phases.tsv)"
