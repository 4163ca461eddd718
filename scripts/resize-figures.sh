#!/usr/bin/env bash
# Prints rsmemcache's resize figures: runs php-tests/cluster_resize.phpt
# (300 sessions on 3 private memcached; a 4th server added, and apart one
# removed with session_redundancy = 1; each without and with
# rsmemcache.previous_save_path) through scripts/run-tests.sh, and prints
# the lines of figures it wrote. The session ids are random, so the numbers
# lost without previous_save_path vary a little from run to run.
#
#   scripts/resize-figures.sh        (RSMEMCACHE_TEST_BASE_PORT as for run-tests.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
RSMEMCACHE_RESIZE_FIGURES=$figures RSMEMCACHE_SKIP_CARGO_TESTS=1 RSMEMCACHE_SKIP_E2E=1 \
  bash scripts/run-tests.sh php-tests/cluster_resize.phpt >&2
cat "$figures"
