#!/usr/bin/env bash
# The CLI flow an IT admin runs after installing the package, from the
# installed binary and the installed sample list, on a fresh data directory:
# setup, price import, receipt range, episode, a receipt with its PDF, a
# void, shift close, verify, backup, restore of that backup, verify again.
# Fails (non-zero, naming the step) if any step does.
#
#   bash packaging/smoke-test.sh [BINARY]     (default /usr/bin/downtime-billing)
set -euo pipefail
bin=${1:-/usr/bin/downtime-billing}
share=/usr/share/downtime-billing
work=$(mktemp -d /tmp/dtb-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DOWNTIME_BILLING_DATA_DIR="$work/data" DOWNTIME_BILLING_LANG=en
admin_pin=739146 sup_pin=582047
month=$(date +%Y-%m)

step() {
  local name=$1
  shift
  if ! "$@" >"$work/out" 2>"$work/err"; then
    echo "smoke test FAILED at: $name" >&2
    cat "$work/err" >&2
    exit 1
  fi
  echo "ok  $name"
}
as_admin() { DOWNTIME_BILLING_PIN=$admin_pin "$bin" --user admin "$@"; }

test -x "$bin" || { echo "no binary at $bin" >&2; exit 1; }
step "setup" env DOWNTIME_BILLING_PIN=$admin_pin \
  "$bin" setup --terminal MZ01 --hospital 示例医院 --admin admin
step "prices import $share/price_lists/sample_2026-11.csv" \
  as_admin prices import "$share/price_lists/sample_2026-11.csv" --month "$month"
step "prices search amxl" as_admin prices search amxl --json
grep -q XA01AB001A00001 "$work/out" || { echo "search found no 阿莫西林" >&2; exit 1; }
step "user add (supervisor)" env DOWNTIME_BILLING_NEW_PIN=$sup_pin \
  DOWNTIME_BILLING_PIN=$admin_pin "$bin" --user admin user add sup --role admin
step "range add" as_admin range add --terminal MZ01 --from 1 --to 500
step "episode open (drill)" as_admin episode open --level II --reason "安装验收演练" --drill
cat >"$work/body.json" <<'EOF'
{"kind":"outpatient","patient":{"name":"张三"},"payer":{"type":"self_pay"},
 "lines":[{"code":"XA01AB001A00001","qty":"2"}],
 "payments":[{"method":"cash","amount":"13.60","tendered":"20.00"}]}
EOF
step "receipt issue --pdf" as_admin receipt issue --json "$work/body.json" --pdf "$work/r1.pdf"
test -s "$work/r1.pdf" || { echo "no receipt PDF" >&2; exit 1; }
if command -v pdftotext >/dev/null; then
  pdftotext "$work/r1.pdf" "$work/r1.txt"
  grep -q 阿莫西林 "$work/r1.txt" || { echo "the receipt PDF does not read 阿莫西林" >&2; exit 1; }
  echo "ok  receipt PDF reads 阿莫西林"
fi
step "receipt issue (second)" as_admin receipt issue --json "$work/body.json"
step "receipt void" env DOWNTIME_BILLING_SUPERVISOR_PIN=$sup_pin \
  DOWNTIME_BILLING_PIN=$admin_pin "$bin" --user admin \
  receipt void MZ01-00000002 --reason "打印错误" --supervisor sup
step "shift close" as_admin shift close --out "$work/shift.pdf"
test -s "$work/shift.pdf" || { echo "no shift report PDF" >&2; exit 1; }
step "verify" "$bin" verify
step "backup" as_admin backup --out "$work/backups" --json
backup=$(find "$work/backups" -name '*.sqlite3' | head -n 1)
test -n "$backup" || { echo "backup wrote no file" >&2; exit 1; }
step "restore" as_admin restore "$backup"
step "verify after restore" "$bin" verify
step "receipt show" as_admin receipt show MZ01-00000002 --json
grep -q voided "$work/out" || { echo "the voided receipt is not voided after restore" >&2; exit 1; }
echo "smoke test passed: $bin"
