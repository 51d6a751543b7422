#!/usr/bin/env bash
# The Windows build under Wine, as a cashier PC would run it: setup, a GBK
# price list, a receipt book, an episode, a receipt with its PDF, a void,
# shift close, verify, backup, restore — every step's exit code and output
# checked, the first failure ends the run (exit 1). Data lives under a
# Chinese user name (C:\users\张三\AppData\Local\…), a UNC data directory
# must be refused. Then the GUI starts under Wine + Xvfb on a fresh data
# directory and its setup screen is captured to
# docs/screenshots/windows-wine-setup.png and checked not to be blank.
#
#   scripts/windows/wine_flow.sh [EXE]     (default: the debug cross-build)
#   WINE_FLOW_SHOT=FILE writes the screenshot elsewhere.
#
# Needs wine64, gcc-mingw-w64-x86-64 (for the test-only shim DLL), xvfb,
# imagemagick, poppler-utils, python3. Wine 8.0 lacks bcryptprimitives.dll:
# the shim (bcryptprimitives_shim.c) is built into the temporary directory
# next to a COPY of the .exe and is never shipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
exe=${1:-$target/x86_64-pc-windows-gnu/debug/downtime-billing.exe}
shot=${WINE_FLOW_SHOT:-$root/docs/screenshots/windows-wine-setup.png}
gbk=${WINE_FLOW_GBK:-$root/../shared/data/import/good_gbk_chinese_headers.csv}
[ -f "$exe" ] || { echo "wine_flow: no executable at $exe (cargo build --target x86_64-pc-windows-gnu)" >&2; exit 1; }
[ -f "$gbk" ] || { echo "wine_flow: no GBK price list at $gbk" >&2; exit 1; }
for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc pdftotext python3 xvfb-run import identify; do
  command -v "$tool" >/dev/null || { echo "wine_flow: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/wine-flow.XXXXXX)
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all LANG=C.UTF-8 LC_ALL=C.UTF-8
# No Mono/Gecko install prompts, no desktop menu entries.
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY
cleanup() {
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

t0=$(date +%s)
say() { printf '[wine_flow %4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

say "prefix $WINEPREFIX"
timeout 300 wineboot -i >/dev/null 2>&1 || fail "wineboot did not make the prefix"
wineserver -w
drive_c=$WINEPREFIX/drive_c

bin=$work/bin
mkdir -p "$bin"
cp "$exe" "$bin/downtime-billing.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$bin/bcryptprimitives.dll" \
  "$root/scripts/windows/bcryptprimitives_shim.c" \
  "$root/scripts/windows/bcryptprimitives_shim.def" -ladvapi32

# A Windows user whose name is Chinese; the data directory is the default
# place under that user's local application data.
data_win='C:\users\张三\AppData\Local\downtime-billing\data'
data_unix=$drive_c/users/张三/AppData/Local/downtime-billing/data
io_unix=$drive_c/收费
mkdir -p "$io_unix"
cp "$gbk" "$io_unix/价格表-GBK.csv"
io_win='C:\收费'

export DOWNTIME_BILLING_PIN=739146 DOWNTIME_BILLING_SUPERVISOR_PIN=582047
out=$work/out.txt
err=$work/err.txt
# run EXPECTED_EXIT STEP ARGS…: the exe under wine with the data directory.
run() {
  local want=$1 name=$2 rc=0
  shift 2
  timeout 180 wine "$bin/downtime-billing.exe" --data-dir "$data_win" "$@" >"$out" 2>"$err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"
    fail "$name: exit $rc, expected $want"
  fi
  say "ok   $name (exit $rc)"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$out"; }
has() { grep -q -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1")"; }

month=$(date -u +%Y-%m)
run 0 "setup" setup --terminal MZ01 --hospital 示例医院 --admin admin --json
[ -f "$data_unix/downtime-billing.sqlite3" ] || fail "setup: no database under the Chinese user name"
# The signing key exists only wrapped under the admin's PIN, inside the
# database: no plain key file may be left beside it.
[ ! -e "$data_unix/signing.key" ] || fail "setup: a plain signing key file was left in the data directory"
DOWNTIME_BILLING_NEW_PIN=582047 run 0 "user add (supervisor)" --user admin user add 李四 --role admin
run 0 "GBK price import" --user admin prices import "$io_win\\价格表-GBK.csv" --month "$month" --json
run 0 "price search" prices search ZE25B824P62360 --json
has "$out" "生脉注射液" "price search"
run 0 "range add" --user admin range add --terminal MZ01 --from 1 --to 500
run 0 "episode open" --user admin episode open --level II --reason "HIS 数据库宕机"

body='{"kind":"outpatient","patient":{"name":"王五"},"payer":{"type":"self_pay"},
 "lines":[{"code":"ZE25B824P62360","qty":"2"}],
 "payments":[{"method":"cash","amount":"95.02","tendered":"100.00"}]}'
printf '%s' "$body" >"$io_unix/body.json"
run 0 "receipt issue + PDF" --user admin receipt issue --json "$io_win\\body.json" --pdf "$io_win\\票据1.pdf"
n1=$(json 'd["number"]')
[ "$(json 'd["total"]')" = "95.02" ] || fail "receipt issue: total $(json 'd["total"]')"
pdftotext "$io_unix/票据1.pdf" "$work/r1.txt" || fail "receipt PDF unreadable"
has "$work/r1.txt" "生脉注射液" "receipt PDF"
has "$work/r1.txt" "$n1" "receipt PDF"
[ -f "$data_unix/receipts/$n1.pdf" ] || fail "receipt PDF not kept in the data directory"

run 0 "receipt issue (to void)" --user admin receipt issue --json "$io_win\\body.json"
n2=$(json 'd["number"]')
run 0 "receipt void" --user admin receipt void "$n2" --reason "录入错误" --supervisor 李四
run 0 "receipt show (voided)" --user admin receipt show "$n2" --json
[ "$(json 'd["status"]')" = "voided" ] || fail "void: status $(json 'd["status"]')"

run 0 "shift close + PDF" --user admin shift close --cash-declared 95.02 --out "$io_win\\交班.pdf" --json
pdftotext "$io_unix/交班.pdf" "$work/shift.txt" || fail "shift PDF unreadable"
has "$work/shift.txt" "95.02" "shift PDF"
ls "$data_unix/backups/"*.sqlite3 >/dev/null 2>&1 || fail "shift close: no backup in the data directory"

run 0 "verify" verify --json
[ "$(json 'd["ok"]')" = "True" ] || fail "verify: not ok"

run 0 "backup" --user admin backup --out "$io_win\\备份" --json
bfile=$(json 'd["file"]')
bname=${bfile##*\\}
[ -f "$io_unix/备份/$bname" ] || fail "backup: $bname not in C:\\收费\\备份"
if ls "$io_unix/备份/"*.partial >/dev/null 2>&1 || ls "$data_unix/backups/"*.partial >/dev/null 2>&1; then
  fail "backup: a .partial file was left behind"
fi

run 0 "receipt issue (after the backup)" --user admin receipt issue --json "$io_win\\body.json"
n3=$(json 'd["number"]')
run 0 "restore" --user admin restore "$bfile" --json
[ "$(json 'sum(r["count"] for r in d["numbers_lost"])')" = "1" ] || fail "restore: expected $n3 recorded as lost"
ls "$data_unix/"downtime-billing.sqlite3.before-restore-* >/dev/null 2>&1 || fail "restore: nothing moved aside"
run 0 "verify after restore" verify --json
[ "$(json 'd["ok"]')" = "True" ] || fail "verify after restore: not ok"
run 0 "receipt issue (after the restore)" --user admin receipt issue --json "$io_win\\body.json"
[ "$(json 'd["number"]')" != "$n3" ] || fail "restore: number $n3 issued twice"

# The Windows counterparts of the Linux refusals and defaults.
rc=0
timeout 60 wine "$bin/downtime-billing.exe" --data-dir '\\server\share\dtb' verify >"$out" 2>"$err" || rc=$?
[ "$rc" -eq 2 ] || { cat "$err"; fail "UNC data directory: exit $rc, expected 2"; }
has "$err" "UNC" "UNC data directory"
say "ok   UNC data directory refused (exit 2)"
rc=0
timeout 60 wine "$bin/downtime-billing.exe" --lang en verify >"$out" 2>"$err" || rc=$?
[ "$rc" -eq 5 ] || { cat "$err"; fail "default data directory: exit $rc, expected 5 (not set up)"; }
has "$err" 'AppData\\Local\\downtime-billing' "default data directory"
say "ok   default data directory is %LOCALAPPDATA%\\downtime-billing: $(head -c 200 "$err")"

# The GUI: a fresh data directory opens on the setup screen. Wine and the
# software OpenGL driver take a while: the screen is polled until it has
# drawn (more than 50 colours; an empty Xvfb screen has 1), at most 120 s.
gui_once() {
  rm -f "$work/shot.png"
  xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
    wine "$1" --data-dir "C:\\gui-new" >"$2/gui.log" 2>&1 &
    for _ in $(seq 1 24); do
      sleep 5
      import -window root "$2/poll.png" 2>/dev/null || continue
      if [ "$(identify -format %k "$2/poll.png")" -gt 50 ]; then
        sleep 3 # let the frame settle
        import -window root "$2/shot.png"
        break
      fi
    done
    wineserver -k >/dev/null 2>&1 || true
  ' _ "$bin/downtime-billing.exe" "$work" || true
  [ -f "$work/shot.png" ] || return 1
  colours=$(identify -format %k "$work/shot.png")
  say "GUI screenshot: $colours colours"
  [ "$colours" -gt 50 ]
}
if ! gui_once; then
  say "GUI: blank or no screenshot, trying once more"
  gui_once || { cat "$work/gui.log" 2>/dev/null | tail -20; fail "GUI did not render under wine + Xvfb"; }
fi
mkdir -p "$(dirname "$shot")"
cp "$work/shot.png" "$shot"
say "ok   GUI setup screen captured to ${shot#"$root"/}"
say "all steps passed"
