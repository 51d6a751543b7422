#!/usr/bin/env bash
# Cold start of the GUI to its first painted frame, with the shared 30k list
# as the month in force (docs/performance.md). Builds a throw-away terminal
# as scripts/gui_rss.sh does, then starts the window RUNS times under Xvfb
# with DOWNTIME_BILLING_TRACE_STARTUP=1: the app prints, at the start of its
# second frame, the Unix time in ms at which the first one had been painted.
# Counted from just before the process is launched (so loading the binary,
# opening the database and starting verify are in it) to that moment. Also
# reads VmRSS at that moment. A new process each run; the page cache is
# warm (dropping it would slow six other people's builds).
#
#   scripts/gui_startup.sh [BINARY]    (default: $CARGO_TARGET_DIR/release
#                                       or target/release, else debug)
# Env: RUNS (default 7), DISPLAY_NO (default :84), LIMIT_MS (default 500).
# Prints one line per run, then p50 and max; exits 1 when p50 is over the
# limit or a run printed no trace.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=${1:-}
if [[ -z $bin ]]; then
    if [[ -x $target/release/downtime-billing ]]; then
        bin=$target/release/downtime-billing
    else
        bin=$target/debug/downtime-billing
    fi
fi
list=../shared/data/price_list_2026-12_30k.csv
display=${DISPLAY_NO:-:84}
runs=${RUNS:-7}
limit_ms=${LIMIT_MS:-500}
work=$(mktemp -d)
data=$work/data
log=$work/log.txt
pin=739146
month=$(date +%Y-%m)
cleanup() {
    [[ -n ${app:-} ]] && kill "$app" >>"$log" 2>&1 || true
    [[ -n ${xvfb:-} ]] && kill "$xvfb" >>"$log" 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

DOWNTIME_BILLING_NEW_PIN=$pin "$bin" --data-dir "$data" setup \
    --terminal MZ01 --hospital 测试医院 --admin admin >>"$log"
export DOWNTIME_BILLING_PIN=$pin
"$bin" --data-dir "$data" --user admin prices import --month "$month" "$list" >>"$log"
"$bin" --data-dir "$data" --user admin range add --terminal MZ01 --from 1 --to 5000 >>"$log"
"$bin" --data-dir "$data" --user admin episode open --level II --reason "HIS 宕机" >>"$log"
unset DOWNTIME_BILLING_PIN

Xvfb "$display" -screen 0 1024x600x24 >>"$log" 2>&1 &
xvfb=$!
sleep 1

echo "binary: $bin ($(du -h "$bin" | cut -f1)); load: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for i in $(seq "$runs"); do
    err=$work/err$i.txt
    t0=$(date +%s%3N)
    DISPLAY=$display DOWNTIME_BILLING_TRACE_STARTUP=1 "$bin" --data-dir "$data" 2>"$err" &
    app=$!
    line=
    for _ in $(seq 100); do
        line=$(grep -m1 '^startup:' "$err" 2>/dev/null || true)
        [[ -n $line ]] && break
        sleep 0.05
    done
    rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$app/status" 2>/dev/null || echo 0)
    kill "$app" >>"$log" 2>&1 || true
    wait "$app" 2>/dev/null || true
    app=
    if [[ -z $line ]]; then
        echo "run $i: no start-up trace within 5 s" >&2
        cat "$err" >&2
        exit 1
    fi
    painted=$(sed -n 's/.*unix_ms \([0-9]*\).*/\1/p' <<<"$line")
    in_app=$(sed -n 's/.*painted \([0-9.]*\) ms.*/\1/p' <<<"$line")
    ms=$((painted - t0))
    results+=("$ms")
    echo "run $i: launch to first painted frame ${ms} ms (of which after main opened the window: ${in_app} ms); VmRSS $((rss_kb / 1024)) MiB"
    sleep 0.5
done
sorted=$(printf '%s\n' "${results[@]}" | sort -n)
p50=$(sed -n "$(((runs + 1) / 2))p" <<<"$sorted")
max=$(tail -1 <<<"$sorted")
echo "cold start to first frame, 30k-item month in force: p50 ${p50} ms, max ${max} ms over ${runs} runs"
if ((p50 > limit_ms)); then
    echo "over the ${limit_ms} ms limit" >&2
    exit 1
fi
