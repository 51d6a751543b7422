#!/usr/bin/env bash
# Resident memory of the GUI with the 30k-item month open (issue 11,
# point 9). Builds a throw-away terminal whose price list in force is the
# shared 30k list, opens the window under Xvfb at 1024x600, logs in as the
# cashier by keyboard (xdotool), waits for the cashier screen (the month's
# search index loaded), types a search, and reads VmRSS / VmHWM of the
# process from /proc. Prints one line per figure; exits 1 when RSS is over
# the limit.
#
#   scripts/gui_rss.sh [BINARY]        (default: $CARGO_TARGET_DIR/release
#                                       or target/release, else debug)
# Env: DISPLAY_NO (default :83), LIMIT_MB (default 150), KEEP=1 keeps the
# data directory, SHOT=FILE.png saves a screenshot of the measured window.
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
display=${DISPLAY_NO:-:83}
limit_mb=${LIMIT_MB:-150}
work=$(mktemp -d)
data=$work/data
log=$work/log.txt
pin=739146
# The real clock (a release build has no pinned clock): the 30k list is
# imported as the month in force today.
month=$(date +%Y-%m)
cleanup() {
    [[ -n ${app:-} ]] && kill "$app" >>"$log" 2>&1 || true
    [[ -n ${xvfb:-} ]] && kill "$xvfb" >>"$log" 2>&1 || true
    [[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
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
DISPLAY=$display "$bin" --data-dir "$data" >>"$log" 2>&1 &
app=$!
# The app's top-level window is the last one its process maps.
win=
for _ in $(seq 50); do
    win=$(DISPLAY=$display xdotool search --pid "$app" 2>>"$log" | tail -1 || true)
    [[ -n $win ]] && break
    sleep 0.2
done
# Xvfb has no window manager: activate may refuse, focus is what counts.
sleep 1
DISPLAY=$display xdotool windowactivate "$win" >>"$log" 2>&1 || true
DISPLAY=$display xdotool windowfocus "$win" >>"$log" 2>&1 || true
sleep 2
key() { DISPLAY=$display xdotool "$@"; sleep 0.4; }
key type --delay 60 admin
key key Return
key type --delay 60 "$pin"
key key Return
sleep 4 # the 30k month's index loads on a worker
key key F3
key type --delay 80 amxl
sleep 2
# SHOT=file.png keeps a picture of what was measured.
[[ -n ${SHOT:-} ]] && DISPLAY=$display import -window root "$SHOT"
# MAPS=file keeps the per-mapping breakdown.
[[ -n ${MAPS:-} ]] && cp "/proc/$app/smaps" "$MAPS"
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$app/status")
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$app/status")
echo "binary: $bin"
echo "VmRSS: $((rss_kb / 1024)) MiB (30k-item month open, cashier screen, one search)"
echo "VmHWM: $((hwm_kb / 1024)) MiB (peak)"
# What of it is the software OpenGL driver Xvfb makes the window use
# (llvmpipe: libLLVM, swrast), which a machine with a GPU driver does not
# load, and what is the program's own heap and anonymous memory.
awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = $6; if (name == "") name = "[anon]"; next }
    /^Rss:/ {
        if (name ~ /libLLVM|swrast|dri/) gl += $2
        else if (name == "[heap]" || name == "[anon]") own += $2
        else other += $2
    }
    END {
        printf "of which software GL driver: %d MiB; heap + anonymous: %d MiB; code and other mappings: %d MiB\n", gl / 1024, own / 1024, other / 1024
    }' "/proc/$app/smaps"
if ((rss_kb / 1024 > limit_mb)); then
    echo "over the ${limit_mb} MB limit" >&2
    exit 1
fi
