#!/usr/bin/env bash
# The README's GUI screenshots at 1024x600, taken as a cashier and an admin
# would work: keyboard only (xdotool), under Xvfb, on a throw-away terminal
# with the bundled sample list. Writes docs/screenshots/*.png.
#
#   scripts/gui_screenshots.sh [BINARY]     (default: target/debug)
# Env: DISPLAY_NO (default :81), KEEP=1 keeps the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/debug/downtime-billing}
display=${DISPLAY_NO:-:81}
out=docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
data=$work/data
log=$work/log.txt
export DOWNTIME_BILLING_NOW=2026-11-22T10:30:00+08:00
cleanup() {
    [[ -n ${app:-} ]] && kill "$app" >>"$log" 2>&1 || true
    [[ -n ${xvfb:-} ]] && kill "$xvfb" >>"$log" 2>&1 || true
    [[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

cli() { "$bin" --data-dir "$data" "$@" >>"$log"; }
DOWNTIME_BILLING_NEW_PIN=739146 cli setup --terminal MZ01 --hospital 测试医院 --admin admin
export DOWNTIME_BILLING_PIN=739146
cli --user admin prices import --month 2026-11 price_lists/sample_2026-11.csv
cli --user admin range add --terminal MZ01 --from 1 --to 500
cli --user admin episode open --level II --reason "HIS 数据库服务器宕机"
DOWNTIME_BILLING_NEW_PIN=582047 cli --user admin user add --role cashier lily
DOWNTIME_BILLING_NEW_PIN=461938 cli --user admin user add --role admin,cashier boss
# Earlier receipts of the morning, by lily.
export DOWNTIME_BILLING_PIN=582047
i=0
for row in "张三 250101015 1 20.00" "李四 220201001 1 90.00" "王五 XA01AB001A00001 2 13.60" \
    "赵六 210102015 1 60.00" "钱七 210300001 1 210.00" "孙八 250101015 1 20.00"; do
    read -r name code qty amount <<<"$row"
    i=$((i + 1))
    body=$work/r$i.json
    printf '{"kind":"outpatient","patient":{"name":"%s"},"department":"内科","doctor":"王医生","lines":[{"code":"%s","qty":"%s"}],"payments":[{"method":"cash","amount":"%s","tendered":"%s"}]}' \
        "$name" "$code" "$qty" "$amount" "$amount" >"$body"
    DOWNTIME_BILLING_NOW=2026-11-22T09:$((10 + i * 5)):00+08:00 cli --user lily receipt issue --json "$body"
done
unset DOWNTIME_BILLING_PIN

Xvfb "$display" -screen 0 1024x600x24 >>"$log" 2>&1 &
xvfb=$!
sleep 1

start() { # LANG
    DISPLAY=$display "$bin" --data-dir "$data" --lang "$1" >>"$log" 2>&1 &
    app=$!
    win=
    for _ in $(seq 50); do
        win=$(DISPLAY=$display xdotool search --pid "$app" 2>>"$log" | tail -1 || true)
        [[ -n $win ]] && break
        sleep 0.2
    done
    sleep 1.5
    DISPLAY=$display xdotool windowactivate "$win" >>"$log" 2>&1 || true
    DISPLAY=$display xdotool windowfocus "$win" >>"$log" 2>&1 || true
}
stop() { kill "$app"; wait "$app" || true; app=; }
k() { DISPLAY=$display xdotool key --delay 120 "$@"; sleep 0.5; }
t() { DISPLAY=$display xdotool type --delay 70 "$1"; sleep 0.5; }
shot() { sleep 1; DISPLAY=$display import -window root "$out/$1.png"; echo "$out/$1.png"; }

# The cashier, in Chinese: twelve lines, cash typed, change shown.
start zh
t lily; k Return; t 582047; k Return; sleep 2
t 周九; k F3
for code in 250101015 220201001 210102015 210300001 XA01AB001A00001 250101015 \
    220201001 210102015 250101015 210300001 220201001 250101015; do
    t "$code"; k Return; k Return
done
k F4; t 2000
shot cashier-12-lines
k Return; sleep 1
shot cashier-issued
# Receipt history: the morning's receipts; the third opened; its refund.
k ctrl+2; sleep 1
shot history
t 0003; k Return; k Return
shot history-receipt
k F7
shot refund
k Escape; k Escape
# The end of the outage: F12, Enter; the declaration form is back.
k ctrl+1; k F12
shot episode-end
k Return; sleep 1
shot episode-declare
stop

# The admin, in English: settings; the cashier screen's English headers.
start en
t admin; k Return; t 739146; k Return; sleep 2
k ctrl+7; sleep 1
shot settings-en
# The episode declared again from the keyboard, then a receipt in English.
k ctrl+1; sleep 1
t "HIS back down"; k Return; sleep 1
t "Li Lei"; k F3
for code in 210300001 250101015 XA01AB001A00001; do
    t "$code"; k Return; k Return
done
k F4; t 300
shot cashier-en
stop
