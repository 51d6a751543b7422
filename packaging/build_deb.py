#!/usr/bin/env python3
"""Builds the Debian/UOS/Kylin package from Cargo.toml's [package.metadata.deb].

Why a script and not cargo-deb: CI builds the package on every run and
`cargo install cargo-deb` compiles a few hundred crates (minutes on two
cores) before packaging anything; dpkg-deb and dpkg-shlibdeps are already on
every Debian-family machine. The table in Cargo.toml stays the one source:
this script reads it (so `cargo deb` on a machine that has cargo-deb makes
the same package).

    python3 packaging/build_deb.py [--profile dist|release|dev] [--no-build] [--out DIR]

The profile defaults to `dist` (the install profile) when Cargo.toml has one,
else `release`. `dev` packages the debug build CI already has (stripped):
same files, same dependencies, slower binary; CI smoke-tests the package
with it because a fat-LTO build does not fit its time budget.
Prints the path of the .deb on stdout.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = "downtime-billing"


def fail(msg: str) -> None:
    print(f"build_deb: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw) -> str:
    try:
        return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout
    except subprocess.CalledProcessError as e:
        fail(f"{' '.join(map(str, cmd))} failed: {e.stderr.strip()}")
    except FileNotFoundError:
        fail(f"{cmd[0]} not found (Debian package: dpkg-dev / binutils)")
    return ""


def auto_depends(binary: Path) -> str:
    """What dpkg-shlibdeps finds in the binary's NEEDED entries."""
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "debian").mkdir()
        (Path(d) / "debian" / "control").write_text("")
        out = run(["dpkg-shlibdeps", "-O", "-e", str(binary)], cwd=d)
    for line in out.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1].strip()
    fail(f"dpkg-shlibdeps printed no shlibs:Depends for {binary}")
    return ""


def description(summary: str, extended: str) -> str:
    lines = [summary.strip()]
    for line in extended.strip().splitlines():
        lines.append(" " + line if line.strip() else " .")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile")
    ap.add_argument("--no-build", action="store_true", help="package the binary already built")
    ap.add_argument("--out", default=None, help="folder for the .deb (default: target/debian)")
    args = ap.parse_args()

    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    pkg = cargo["package"]
    meta = pkg.get("metadata", {}).get("deb")
    if meta is None:
        fail("Cargo.toml has no [package.metadata.deb]")
    profile = args.profile or ("dist" if "dist" in cargo.get("profile", {}) else "release")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    built = target / ("debug" if profile == "dev" else profile) / BINARY
    if not args.no_build:
        subprocess.run(
            ["cargo", "build", "--locked", "--profile", profile, "--bin", BINARY],
            cwd=ROOT,
            check=True,
        )
    if not built.is_file():
        fail(f"{built} does not exist (build it, or drop --no-build)")

    name = meta.get("name", pkg["name"])
    version = pkg["version"]
    arch = run(["dpkg", "--print-architecture"]).strip()
    out_dir = Path(args.out) if args.out else target / "debian"
    out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="dtb-deb-") as tmp:
        stage = Path(tmp) / "root"
        for src, dest, mode in meta["assets"]:
            src_path = built if src == f"target/release/{BINARY}" else ROOT / src
            if not src_path.is_file():
                fail(f"asset {src} does not exist")
            dst = stage / dest
            if dest.endswith("/"):
                dst = dst / src_path.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_path, dst)
            dst.chmod(int(mode, 8))
        doc = stage / "usr/share/doc" / name
        doc.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "packaging/copyright", doc / "copyright")
        (doc / "copyright").chmod(0o644)
        installed_bin = stage / "usr/bin" / BINARY
        run(["strip", "--strip-unneeded", str(installed_bin)])

        depends = meta["depends"].replace("$auto", auto_depends(installed_bin))
        size_kb = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file()) // 1024 + 1
        control = {
            "Package": name,
            "Version": version,
            "Architecture": arch,
            "Maintainer": meta["maintainer"],
            "Installed-Size": str(size_kb),
            "Depends": depends,
            "Recommends": meta.get("recommends", ""),
            "Suggests": meta.get("suggests", ""),
            "Section": meta.get("section", "misc"),
            "Priority": meta.get("priority", "optional"),
            "Description": description(pkg["description"], meta.get("extended-description", "")),
        }
        debian = stage / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(
            "".join(f"{k}: {v}\n" for k, v in control.items() if v), encoding="utf-8"
        )
        sums = []
        for p in sorted(stage.rglob("*")):
            if p.is_file() and debian not in p.parents:
                digest = hashlib.md5(p.read_bytes()).hexdigest()
                sums.append(f"{digest}  {p.relative_to(stage)}\n")
        (debian / "md5sums").write_text("".join(sums), encoding="utf-8")
        for d in [stage, *stage.rglob("*")]:
            if d.is_dir():
                d.chmod(0o755)

        deb = out_dir / f"{name}_{version}_{arch}.deb"
        # xz for what is shipped; a fast gzip for CI's throw-away dev package.
        compress = ["-Zxz"] if profile != "dev" else ["-Zgzip", "-z1"]
        run(["dpkg-deb", "--root-owner-group", *compress, "--build", str(stage), str(deb)])
    print(deb)


if __name__ == "__main__":
    main()
