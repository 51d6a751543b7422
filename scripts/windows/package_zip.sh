#!/usr/bin/env bash
# The Windows package: a zip to unpack on a Windows 10/11 cashier PC — the
# install-profile .exe (sample price list, holiday calendar and CJK font are
# built in), the README, the sample price list and the calendar format for
# next year's import. No installer, no DLLs: the .exe needs only Windows.
#
#   scripts/windows/package_zip.sh [OUT.zip]
#
# Builds `cargo build --profile dist --target x86_64-pc-windows-gnu` (needs
# gcc-mingw-w64-x86-64 and `rustup target add x86_64-pc-windows-gnu`).
# Refuses to package the Wine-only test shim (bcryptprimitives.dll).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=${1:-$target/downtime-billing-$version-windows-x64.zip}
cargo build --locked --profile dist --target x86_64-pc-windows-gnu
exe=$target/x86_64-pc-windows-gnu/dist/downtime-billing.exe
python3 - "$out" "$exe" <<'PY'
import sys, zipfile, pathlib
out, exe = sys.argv[1], pathlib.Path(sys.argv[2])
files = {
    "downtime-billing/downtime-billing.exe": exe,
    "downtime-billing/README.md": pathlib.Path("README.md"),
    "downtime-billing/price_lists/sample_2026-11.csv": pathlib.Path("price_lists/sample_2026-11.csv"),
    "downtime-billing/calendar/README.md": pathlib.Path("assets/calendar/README.md"),
    "downtime-billing/calendar/2026.json": pathlib.Path("assets/calendar/2026.json"),
}
for name in files:
    if name.lower().endswith(".dll"):
        sys.exit(f"package_zip: refusing to ship {name}")
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name, path in files.items():
        z.write(path, name)
print(f"{out}: {pathlib.Path(out).stat().st_size} bytes (exe {exe.stat().st_size} bytes)")
PY
