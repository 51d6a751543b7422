#!/usr/bin/env bash
# Renders the application icon's PNG from the hand-drawn SVG (ImageMagick),
# with the bundled CJK font for the 应急 lettering. Run after editing the SVG;
# the PNG is committed so packaging needs no renderer.
set -euo pipefail
cd "$(dirname "$0")"
font=../../assets/fonts/DroidSansFallbackFull.ttf
convert -background none -font "$font" downtime-billing.svg -depth 8 downtime-billing.png
