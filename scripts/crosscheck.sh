#!/usr/bin/env bash
# Cross-check the pooling engine against live R metafor on fresh random cases.
#
#   bash scripts/crosscheck.sh [SEED] [COUNT]
#
# Installs Debian's r-base-core, r-cran-metafor and r-cran-lme4 when Rscript or the packages
# are missing (needs root, as in CI), writes COUNT random cases (default 40) plus the fixed
# edge cases with validation/make_cases.py and a random SEED (printed; pass it to replay),
# runs validation/reference.R and `python -m analysis.engine.crosscheck --compare`, and exits
# non-zero with a readable diff when any number disagrees beyond the tolerances of
# validation/README.md (1e-6 inverse-variance, 1e-3 GLMM).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VALIDATION="$ROOT/validation"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
SEED="${1:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
COUNT="${2:-40}"

have_r() {
  command -v Rscript >/dev/null 2>&1 &&
    Rscript -e 'quit(status = !all(sapply(c("metafor", "lme4"), requireNamespace, quietly = TRUE)))' \
      >/dev/null 2>&1
}
if ! have_r; then
  echo "crosscheck: installing R, metafor and lme4 from Debian ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq r-base-core r-cran-metafor r-cran-lme4 >/dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "crosscheck: seed $SEED, $COUNT random cases (replay: bash scripts/crosscheck.sh $SEED $COUNT)"
"$PYTHON" "$VALIDATION/make_cases.py" "$SEED" "$COUNT" > "$WORK/cases.csv"
echo "crosscheck: $(Rscript -e 'cat(as.character(packageVersion("metafor")))' 2>/dev/null) metafor," \
  "$(($(wc -l < "$WORK/cases.csv") - 1)) studies"
Rscript "$VALIDATION/reference.R" "$WORK/cases.csv" > "$WORK/reference.csv"
cd "$ROOT"
"$PYTHON" -m analysis.engine.crosscheck "$WORK/cases.csv" -o "$WORK/ours.csv" --compare "$WORK/reference.csv"
