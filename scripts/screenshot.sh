#!/usr/bin/env bash
# Screenshot of a report page in headless Chromium, to look at its layout:
#   scripts/screenshot.sh DIR/report.html [OUT.png] [WIDTHxHEIGHT]
# Writes OUT.png (default: report-screenshot.png beside the page) at WIDTHxHEIGHT (default 1400x4000).
# Chromium runs with a throw-away profile and no network, GPU or sandbox (it runs as root in CI containers).
set -euo pipefail
if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 PAGE.html [OUT.png] [WIDTHxHEIGHT]" >&2
  exit 2
fi
page=$1
[[ -f $page ]] || { echo "$0: no such file: $page" >&2; exit 2; }
out=${2:-$(dirname "$page")/report-screenshot.png}
size=${3:-1400x4000}
[[ $size =~ ^[0-9]+x[0-9]+$ ]] || { echo "$0: size must be WIDTHxHEIGHT, e.g. 1400x4000, got '$size'" >&2; exit 2; }
command -v chromium >/dev/null || { echo "$0: chromium not found; install it (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs_page=$(realpath "$page")
abs_out=$(realpath -m "$out")
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$profile" --window-size="${size/x/,}" --screenshot="$abs_out" "file://$abs_page" \
  >/dev/null 2>"$profile/stderr" || { cat "$profile/stderr" >&2; exit 1; }
[[ -s $abs_out ]] || { echo "$0: chromium wrote no screenshot" >&2; cat "$profile/stderr" >&2; exit 1; }
echo "$abs_out"
