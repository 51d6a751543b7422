#!/usr/bin/env bash
# Every picture in docs/screenshots/, from one command, so that the README
# shows what the program really looks like today and nobody retouches a
# screenshot by hand.
#
#   scripts/screenshots.sh [BINARY]   (default: cargo build --release, then
#                                      $CARGO_TARGET_DIR/release/downtime-billing)
#
# It builds the demo hospital (`demo`: five terminals, users per role,
# receipts, dispensings, journals at finance, an HIS results file), issues
# two receipts with their PDFs through the CLI, then starts the binary under
# Xvfb once per station and drives each screen by keyboard only (xdotool),
# as a cashier, an admin, a pharmacist and a finance clerk would:
#
#   MZ01 cashier (1024x600)   login, receipt in progress, issued, history,
#                             an opened receipt, refund, price browser,
#                             end of the episode, declaring one
#   MZ01 admin   (1024x600)   price-list import of a bad corpus file: the
#                             problems by row and column; settings and the
#                             cashier screen in English
#   YF01 pharmacist (1024x600) a code read back from the receipt PDF with
#                             zbarimg: genuine (green), one digit of the
#                             total changed (red), scanned again after
#                             dispensing (red), partial dispensing
#   CW01 finance (1366x768)   deadlines, reconciliation of the demo's HIS
#                             results file, the after-action report with its
#                             hourly chart, posting to the HIS
#   PDF pages (pdftoppm -r 100, first page): receipt on the 80 mm roll and
#   on A5, the price book.
#
# Every shot waits for the screen to change and then hold still (polling
# screenshots, no long fixed sleeps) and some check a colour that only the
# expected screen has; a screen that does not come stops the script with a
# non-zero exit naming the step. PNGs are reduced to 256 colours and must
# stay under 200 KB. Took 4.5 to 5.3 minutes with a built debug binary on a
# 2-core machine under a load of about 20 (mostly waiting for screens).
#
# Needs: Xvfb, xdotool, imagemagick, poppler-utils, zbar-tools, python3.
# Env: KEEP=1 keeps the work directory (demo, logs, PDFs) and prints it;
# SCREENSHOT_BAD_FILE another bad price list for the admin's import shot.
set -eEuo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-target}
if [[ $# -ge 1 ]]; then
    bin=$(realpath "$1")
else
    cargo build --release --locked
    bin=$(realpath "$target/release/downtime-billing")
fi
corpus=${SCREENSHOT_BAD_FILE:-$root/../shared/data/import/bad_non_numeric_price.csv}
out=$root/docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
log=$work/log.txt
pin=739146 # the demo's PIN for every user (src/demo)
step=start
started=$SECONDS
made=()

for tool in Xvfb xdotool import compare convert pdftoppm zbarimg python3; do
    command -v "$tool" >/dev/null || { echo "screenshots: $tool is not installed" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "screenshots: no binary at $bin" >&2; exit 1; }
[[ -f $corpus ]] || { echo "screenshots: no import corpus file at $corpus" >&2; exit 1; }

cleanup() {
    [[ -n ${app:-} ]] && kill "$app" >>"$log" 2>&1 || true
    [[ -n ${xvfb:-} ]] && kill "$xvfb" >>"$log" 2>&1 || true
    if [[ ${KEEP:-0} == 1 ]]; then echo "kept: $work"; else rm -rf "$work"; fi
}
failed() {
    echo "screenshots: step '$step' failed${1:+: $1}" >&2
    tail -n 15 "$log" >&2 || true
    exit 1
}
trap cleanup EXIT
trap 'failed "a command exited with $?"' ERR

# ---- the demo hospital, and two receipts with their PDFs -----------------
step=demo
"$bin" demo --out "$work/demo" >>"$log" 2>&1
mz=$work/demo/MZ01 yf=$work/demo/YF01 cw=$work/demo/CW01
his_results=$work/demo/his_results.csv
[[ -s $his_results ]] || failed "the demo wrote no HIS results file"
cli() { # DIR USER ARGS… (stdout is the caller's)
    local dir=$1 user=$2
    shift 2
    DOWNTIME_BILLING_PIN=$pin "$bin" --data-dir "$dir" --user "$user" "$@" 2>>"$log"
}

step="episode opened at MZ01"
cli "$mz" cashier1 episode open --level II --reason "HIS 数据库服务器宕机" >>"$log"

# Two receipts with drugs (sample list prices: 6.80, 11.50, 20.00): one on
# the 80 mm roll, one on A5. Their QR codes are read back from the PDFs.
issue() { # NAME BODY-LINES TOTAL PDF
    printf '{"kind":"outpatient","patient":{"name":"%s"},"department":"内科","doctor":"王医生","lines":[%s],"payments":[{"method":"cash","amount":"%s","tendered":"100.00"}]}' \
        "$1" "$2" "$3" >"$work/body.json"
    cli "$mz" cashier1 receipt issue --json "$work/body.json" --pdf "$4" >>"$log"
}
page() { # PDF PNG-NAME: the first page at 100 dpi
    pdftoppm -png -r 100 -f 1 -l 1 -singlefile "$1" "$work/page"
    optimise "$work/page.png" "$out/$2.png"
}
qr_of() { # PDF: the QR payload, as a scanner reads it off the page
    pdftoppm -png -r 200 -f 1 -l 1 -singlefile "$1" "$work/qr"
    zbarimg --raw -q "$work/qr.png" 2>>"$log" | head -n 1 || true
}
optimise() { # IN OUT: 256 colours, no metadata, at most 200 KB
    convert "$1" -strip +dither -colors 256 "PNG8:$2"
    local size
    size=$(stat -c %s "$2")
    ((size < 200 * 1024)) || failed "$2 is $size bytes (limit 200 KB)"
    made+=("$(basename "$2")")
    echo "  $(basename "$2") ($((size / 1024)) KB)"
}

step="receipt on the 80 mm roll"
issue 周九 '{"code":"XA01AB001A00001","qty":"2"},{"code":"XJ01CA004A00002","qty":"1"},{"code":"250101015","qty":"1"}' 45.10 "$work/roll80.pdf"
page "$work/roll80.pdf" receipt_roll80
genuine=$(qr_of "$work/roll80.pdf")
[[ $genuine == DB2:* ]] || failed "no QR code read from $work/roll80.pdf"
# One digit of the total changed, as a forger would.
forged=$(python3 -c '
import sys
p = sys.argv[1].split(":")
total = p[-2]
i = total.index(".") - 1
p[-2] = total[:i] + str((int(total[i]) + 1) % 10) + total[i + 1:]
print(":".join(p))' "$genuine")

step="receipt on A5"
cli "$mz" admin settings set print.layout a5 >>"$log"
issue 吴十 '{"code":"XA01AB001A00001","qty":"1"},{"code":"XJ01CA004A00002","qty":"2"}' 29.80 "$work/a5.pdf"
cli "$mz" admin settings set print.layout roll80 >>"$log"
page "$work/a5.pdf" receipt_a5
partial=$(qr_of "$work/a5.pdf")
[[ $partial == DB2:* ]] || failed "no QR code read from $work/a5.pdf"

step="price book"
month=$(cli "$mz" admin prices months | cut -d' ' -f1 | sort | tail -n 1)
cli "$mz" admin prices book --month "$month" --out "$work/book.pdf" >>"$log"
page "$work/book.pdf" price_book

# ---- the display and the keyboard ----------------------------------------
# One Xvfb, larger than any shot: each window is moved to the top left
# corner and sized to the shot (1024x600, 1366x768), and only that corner is
# captured. The pointer, which xdotool cannot move on a bare Xvfb, stays in
# the middle of the screen, outside the window: no hover effects.
step=Xvfb
: >"$work/display"
Xvfb -displayfd 3 -screen 0 2800x1600x24 -nolisten tcp 3>"$work/display" >>"$log" 2>&1 &
xvfb=$!
for _ in $(seq 50); do
    [[ -s $work/display ]] && break
    sleep 0.1
done
[[ -s $work/display ]] || failed "Xvfb did not start"
export DISPLAY=:$(head -n 1 "$work/display")
geometry=1024x600
grab() { import -window root -crop "$geometry+0+0" +repage "$1" 2>>"$log"; }
differs() { # A B: more than a blinking cursor's worth of pixels changed
    local n
    n=$(compare -metric AE -fuzz 3% "$1" "$2" null: 2>&1 || true)
    # (large counts come as 1.04896e+06)
    n=$(printf '%.0f' "$n" 2>/dev/null) || return 0
    ((n > 120))
}
# Waits until the screen differs from the last shot (or the window's first
# frame) and then holds still for two polls; fails the step otherwise.
settle() {
    local prev=$work/prev.png now=$work/now.png i changed=0 still=0
    grab "$prev"
    for i in $(seq 80); do
        sleep 0.25
        [[ -z ${app:-} ]] || kill -0 "$app" 2>/dev/null || failed "the program exited"
        grab "$now"
        if ((!changed)); then
            differs "$work/last.png" "$now" && changed=1
        elif differs "$prev" "$now"; then
            still=0
        else
            still=$((still + 1))
            ((still >= 2)) && return 0
        fi
        mv "$now" "$prev"
    done
    failed "the screen did not change (or never held still) within 20 s"
}
has_colour() { # PNG COLOUR MIN-PIXELS
    local n
    n=$(convert "$1" -fuzz 6% -fill black +opaque "$2" -fill white -opaque "$2" \
        -format '%[fx:round(mean*w*h)]' info:)
    ((n >= $3)) || failed "expected at least $3 pixels of $2 on the screen, found $n"
}
shot() { # NAME [COLOUR MIN-PIXELS]
    step="shot $1"
    settle
    grab "$work/last.png"
    [[ $# -eq 3 ]] && has_colour "$work/last.png" "$2" "$3"
    optimise "$work/last.png" "$out/$1.png"
}
k() { xdotool key --delay 80 "$@"; sleep 0.3; }
t() { # TEXT. xdotool maps a spare key to each character outside the
    # keyboard map (Chinese); one typed right after another can be lost,
    # so those go one at a time.
    local LC_ALL=C.UTF-8 i
    if [[ $1 == *[![:ascii:]]* ]]; then
        for ((i = 0; i < ${#1}; i++)); do
            xdotool type --delay 40 "${1:i:1}"
            sleep 0.25
        done
    else
        xdotool type --delay 40 "$1"
    fi
    sleep 0.3
}

start() { # DIR LANG WIDTHxHEIGHT: the GUI on that station at that size, focused
    step="start the GUI on $(basename "$1") ($2, $3)"
    geometry=$3
    convert -size "$geometry" xc:black "$work/last.png"
    "$bin" --data-dir "$1" --lang "$2" >>"$log" 2>&1 &
    app=$!
    win=
    for _ in $(seq 100); do
        win=$(xdotool search --onlyvisible --pid "$app" 2>/dev/null | tail -n 1 || true)
        [[ -n $win ]] && break
        kill -0 "$app" 2>/dev/null || failed "the program exited"
        sleep 0.1
    done
    [[ -n $win ]] || failed "no window appeared"
    xdotool windowmove "$win" 0 0 windowsize "$win" "${geometry%x*}" "${geometry#*x}"
    xdotool windowfocus "$win"
    settle
    grab "$work/last.png"
}
stop() { kill "$app"; wait "$app" 2>/dev/null || true; app=; }
login() { # USER: the name, the PIN, Enter
    step="login as $1"
    t "$1"
    k Return
    t "$pin"
    k Return
    settle
    grab "$work/last.png"
}

# ---- MZ01, the cashier, in Chinese ----------------------------------------
start "$mz" zh 1024x600
step="login form"
t cashier1
k Return
t "$pin"
shot login
k Return
settle
grab "$work/last.png"
step="cashier: a receipt in progress"
t 周九
k F3
for code in 250101015 220201001 210102015 210300001 XA01AB001A00001 250101015 \
    220201001 210102015 250101015 210300001 220201001 250101015; do
    t "$code"
    k Return
    k Return
done
k F4
t 2000
shot cashier
k Return
shot cashier-issued
# Receipt history: this cashier's receipts; the third opened; its refund.
k ctrl+2
shot history
t 00000003
k Return
k Return
shot history-receipt
k F7
shot refund
k Escape
k Escape
k ctrl+3
t amxl
shot price_browser_amxl
# The end of the outage: F12, Enter; the declaration form is back.
k ctrl+1
k F12
shot episode-end
k Return
shot episode-declare
stop

# ---- MZ01, the admin: a bad price list, settings, English -----------------
start "$mz" zh 1024x600
login admin
k ctrl+4
t "$corpus"
k Return
shot admin_import_problems "#C01C1C" 150
stop

start "$mz" en 1024x600
login admin
k ctrl+7
shot settings-en
# The episode declared again from the keyboard, then a receipt in English.
k ctrl+1
t "HIS back down"
k Return
t "Li Lei"
k F3
for code in 210300001 250101015 XA01AB001A00001; do
    t "$code"
    k Return
    k Return
done
k F4
t 300
shot cashier-en
stop

# ---- YF01, the pharmacy ------------------------------------------------------
start "$yf" zh 1024x600
login pharm1
t "$genuine"
k Return
shot pharmacy_green "#E6F4EA" 20000
k F2
k Escape
t "$forged"
k Return
shot pharmacy_red_forged "#FDECEC" 20000
k Escape
t "$genuine"
k Return
shot pharmacy_red_replay "#FDECEC" 20000
k Escape
t "$partial"
k Return
k alt+1
k F3
shot pharmacy_partial "#E6F4EA" 20000
stop

# ---- CW01, the finance office, at 1366x768 ----------------------------------
start "$cw" zh 1366x768
login finance1
k ctrl+3
shot finance_deadlines
k ctrl+4
t "$his_results"
k Return
shot finance_reconcile
k ctrl+5
k Return
shot finance_reports "#F2DBDB" 5000
k ctrl+6
shot finance_posting
stop

step=done
for png in "$out"/*.png; do
    [[ " ${made[*]} " == *" $(basename "$png") "* ]] ||
        echo "screenshots: $png was not made by this script (stale? remove it or add it here)" >&2
done
echo "screenshots: ${#made[@]} PNGs in $out in $((SECONDS - started)) s"
