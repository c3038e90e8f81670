#!/usr/bin/env bash
# Sourced by test.sh and run-integration-tests.sh: counts the Surefire/Failsafe reports under ROOT.
# Sets passed, failed, skipped.
count_reports() { # ROOT
  passed=0; failed=0; skipped=0
  local f t fl er sk
  for f in $(find "$1" -path '*/target/*-reports/TEST-*.xml' 2>/dev/null); do
    read -r t fl er sk < <(sed -n 's/.*<testsuite[^>]* tests="\([0-9]*\)"[^>]* failures="\([0-9]*\)"[^>]* errors="\([0-9]*\)"[^>]* skipped="\([0-9]*\)".*/\1 \2 \3 \4/p;s/.*<testsuite[^>]* tests="\([0-9]*\)"[^>]* errors="\([0-9]*\)"[^>]* skipped="\([0-9]*\)"[^>]* failures="\([0-9]*\)".*/\1 \4 \2 \3/p' "$f" | head -n1)
    [[ -z ${t:-} ]] && continue
    failed=$((failed + fl + er)); skipped=$((skipped + sk)); passed=$((passed + t - fl - er - sk))
  done
}
