#!/usr/bin/env bash
# Regenerate the screenshots of what a visitor sees (docs/screenshots/*.png):
# a measure page, an organisation page, the fields of action, the targets
# overview and two indicator pages, in German.
#
#   scripts/screenshots.sh
#
# Builds a throw-away store from ontology/ and data/, serves it with
# `ikgraph serve` on a free loopback port, takes the screenshots with headless
# Chromium and stops the server again. Needs Chromium (Debian: apt-get install
# chromium) and the project's venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${IKGRAPH_BIN:-$ROOT/.venv/bin}"
OUT="$ROOT/docs/screenshots"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [[ -z "$CHROMIUM" ]]; then
  echo "chromium not found (Debian: apt-get install chromium)" >&2
  exit 2
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export IKGRAPH_STORE="oxigraph:$WORK/store" IKGRAPH_DUMPS_DIR="$WORK/dumps"

"$BIN/ikgraph" build >/dev/null
"$BIN/ikgraph" serve --host 127.0.0.1 --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!

URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 50); do
  if "$BIN/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$URL/fields" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

shoot() {  # shoot FILE PATH WIDTH,HEIGHT
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$WORK/chromium" --lang=de-DE \
    --screenshot="$OUT/$1" --window-size="$3" "$URL$2" >/dev/null 2>&1
  echo "$OUT/$1"
}

mkdir -p "$OUT"
shoot measure-wir.png "/id/measure/wir?lang=de" 1280,1600
shoot organisation-land-hessen.png "/id/organisation/land-hessen?lang=de" 1280,1400
shoot fields.png "/fields?lang=de" 1280,960
shoot targets.png /targets 1280,1750
shoot indicator-anteil-migrationshintergrund.png /indicators/anteil-migrationshintergrund 1280,1400
shoot indicator-deutsch4u-kurse.png /indicators/deutsch4u-kurse 1280,1250
