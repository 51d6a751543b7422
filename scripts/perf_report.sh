#!/usr/bin/env bash
# Regenerates the figures of docs/performance.md in one command: the
# criterion benches with short settings (each runs its peer in the same
# run), the growth curves 1k..500k (1M with GROWTH_MAX=1000000), the finance
# growth through benches/finance.rs's own env parameters, cold start and
# resident memory of the GUI under Xvfb, and the binary's size. Writes the
# raw output of every step to docs/performance/raw/*.txt (with the machine
# load before and after each), the curves to docs/performance/*.csv and
# their log-log charts to docs/performance/*.png, and prints the growth
# tables in Markdown and the summary lines of each bench.
#
#   scripts/perf_report.sh
# Env:
#   STEPS        which steps, comma-separated (default all:
#                search,issue,receipt_pdf,import,pharmacy,his,reports,
#                finance,growth,gui,size,plot)
#   GROWTH_MAX   largest list / receipt count of the growth curves
#                (default 500000; 1000000 adds about ten minutes)
#   GROWTH_ISSUE_MAX  largest pre-filled receipt count (default 100000)
#   FINANCE_MAX  largest size of the finance growth (default 100000); the
#                100k point is then measured seven more times, each in a
#                fresh process (raw/finance_100k.txt)
#   BENCH_ALL=1  also the 100k HIS batch and the after-action report
#   PAIRS        interleaved issue/fsync pairs of the issue bench (500)
#   PERF_FAST_BUILD=1  build on the dev profile's dependencies (opt-level 1,
#                already built for the tests) with this crate at opt-level 3,
#                instead of a full release build (which took over an hour on
#                the shared machine); the binary is then target/debug's
#   PERF_VENV    Python venv for matplotlib and the reportlab peer (.venv)
# Time, measured here with PERF_FAST_BUILD=1 at load 17-20 on 2 cores:
# growth to 500k 10 min 45 s, issue 2 min, search 2 min 36 s, pharmacy 37 s, the
# GUI step 1 min; the Python venv 42 s the first time;
# the builds come first (the crate at opt-level 3 took 15 min at that load,
# a full release build of the dependencies did not finish in an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
out=docs/performance
raw=$out/raw
mkdir -p "$raw"
steps=${STEPS:-search,issue,receipt_pdf,import,pharmacy,his,reports,finance,growth,gui,size,plot}
crit=(-- --warm-up-time 1 --measurement-time 3)
venv=${PERF_VENV:-.venv}
req=scripts/perf_requirements.txt
started=$(date +%s)
if [[ -n ${PERF_FAST_BUILD:-} ]]; then
    export CARGO_PROFILE_DEV_OPT_LEVEL=3
    prof=(--profile dev)
    build=(--profile dev)
    bin=$CARGO_TARGET_DIR/debug/downtime-billing
else
    prof=()
    build=(--release)
    bin=$CARGO_TARGET_DIR/release/downtime-billing
fi

want() { [[ ",$steps," == *",$1,"* ]]; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

if [[ ! -x $venv/bin/python ]] || ! cmp -s "$req" "$venv/requirements.installed"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/requirements.installed"
fi
py=$PWD/$venv/bin/python

# One step: its output to raw/NAME.txt, framed by the load average.
step() {
    local name=$1
    shift
    want "$name" || return 0
    echo "== $name: $*" >&2
    local t0
    t0=$(date +%s)
    {
        echo "# $(date -u +%FT%TZ) load before: $(load) ($(nproc) cores)"
        "$@" 2>&1 || echo "# exit status $? (a missed limit or a failure: see above)"
        echo "# load after: $(load); took $(($(date +%s) - t0)) s"
    } >"$raw/$name.txt"
    tail -1 "$raw/$name.txt" >&2
}

benches=()
for b in search issue receipt_pdf import pharmacy his reports finance growth; do
    want "$b" && benches+=(--bench "$b")
done
if ((${#benches[@]})); then
    cargo bench --locked "${prof[@]}" --no-run "${benches[@]}"
fi
# Building the benches builds the binary too (with the benches' feature
# set); a separate `cargo build` would compile the crate again.
if ((${#benches[@]} == 0)) && { want gui || want size; }; then
    cargo build --locked "${build[@]}"
fi

GROWTH_OUT=$PWD/$out GROWTH_MAX=${GROWTH_MAX:-500000} \
    step growth cargo bench --locked "${prof[@]}" --bench growth
if want gui; then
    step gui bash -c "scripts/gui_startup.sh '$bin'; scripts/gui_rss.sh '$bin'"
fi
step search cargo bench --locked "${prof[@]}" --bench search "${crit[@]}"
PAIRS=${PAIRS:-500} step issue cargo bench --locked "${prof[@]}" --bench issue "${crit[@]}"
REPORTLAB_PYTHON=$py step receipt_pdf cargo bench --locked "${prof[@]}" --bench receipt_pdf "${crit[@]}"
step import cargo bench --locked "${prof[@]}" --bench import "${crit[@]}"
step pharmacy cargo bench --locked "${prof[@]}" --bench pharmacy "${crit[@]}"
# HL7 over MLLP and the price book are targets; the 100k HIS batch and the
# after-action report (minutes each) are not: BENCH_ALL=1 runs them too.
his_filter=(hl7_mllp)
reports_filter=(price_book)
reports_n=1000
if [[ -n ${BENCH_ALL:-} ]]; then
    his_filter=()
    reports_filter=()
    reports_n=100000
fi
step his cargo bench --locked "${prof[@]}" --bench his "${crit[@]}" "${his_filter[@]}"
REPORTS_BENCH_N=$reports_n step reports cargo bench --locked "${prof[@]}" --bench reports "${crit[@]}" "${reports_filter[@]}"
FINANCE_BENCH_MIN=1000 FINANCE_BENCH_MAX=${FINANCE_MAX:-100000} \
    step finance cargo bench --locked "${prof[@]}" --bench finance "${crit[@]}"
# The 100k point again, seven times, each in a fresh process (the spread
# of the machine; the target is set at 100k).
if want finance; then
    for _ in 1 2 3 4 5 6 7; do
        FINANCE_BENCH_MIN=100000 FINANCE_BENCH_MAX=100000 FINANCE_BENCH_GROWTH_ONLY=1 \
            cargo bench --locked "${prof[@]}" --bench finance 2>/dev/null | grep '^ *100000 |'
    done >"$raw/finance_100k.txt"
    cat "$raw/finance_100k.txt" >&2
fi
if want size; then
    stripped=$(mktemp)
    strip -o "$stripped" "$bin"
    step size echo "release binary $(stat -c %s "$bin") bytes; stripped $(stat -c %s "$stripped") bytes"
    rm -f "$stripped"
fi
if want plot; then
    "$py" scripts/perf_plot.py "$out"
fi

# The lines each bench prints as its summary.
echo
for f in "$raw"/*.txt; do
    echo "--- $(basename "$f" .txt)"
    grep -E '^# load|p50|p99|ratio|strace|fsync|time: |build:|msg|messages|^ *[0-9]+ \||VmRSS|VmHWM|cold start|binary|KB|bytes' "$f" |
        grep -v -E '^(Benchmarking|Found|  [0-9]+ \()' | head -40 || true
done
echo
echo "perf_report: $(($(date +%s) - started)) s"
