#!/usr/bin/env bash
# Install the system packages the test suite uses, when they are missing and we may.
#   chromium        the real browser for the report and web page tests (driven by Playwright)
#   fonts-noto-cjk  Chinese glyphs in browser screenshots (the PDFs and Word charts use the
#                   pinned PyPI font package instead)
#   postgresql      the server-mode store (scripts/with-postgres.sh starts a throwaway cluster)
#   poppler-utils   pdffonts/pdftoppm, to check the official PDF documents' embedded fonts
#   npm             fetches the web pages' ECharts and map from the npm registry at install
# As root with apt-get this installs them; otherwise it says what is missing, and the tests
# that need them skip with that reason (CI sets MIC2025_REQUIRE_SERVICES=1 to make that fatal).
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: chromium, CJK fonts and PostgreSQL are present"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: missing ${missing[*]} (not root or no apt-get); the tests needing them will skip"
fi
