#!/usr/bin/env bash
# Runs the irctest selection against the example IRC server of a logcaster checkout.
#
#   examples/irc-log-server/irctest/run.sh <checkout-dir> [pytest args]
#
# The checkout needs its node_modules (`npm ci --no-audit --no-fund` in it). Nothing is
# written into it: the server is bundled with the checkout's esbuild into a temp dir (the
# way `npm run predemo` builds it) and run with plain node, one fresh server per test, on
# 127.0.0.1. Exit code: 0 when every test that passed at the baseline passes, 1 otherwise.
#
# Environment:
#   SELECTION=all          run the whole server suite (minus services) instead of selection.txt
#   SELECTION=<file>       another list of test ids
#   CONTROLLER=ngircd      run the selection against ngircd (reference) instead
#   LOGCASTER_MODE=tsx     start the server with the checkout's tsx instead of a bundle
#   LOGCASTER_ENTRY=<path> entry point relative to the checkout (default examples/irc-log-server/main.ts)
#   LOGCASTER_EXTRA_ARGS   extra flags for the server
#   BASELINE=<tsv>         expected results (default baseline-logcaster.tsv, or baseline-ngircd.tsv)
#   RUN_TIMEOUT=<seconds>  bound on the whole pytest run (default 1800)
#   IRCTEST_OUT=<dir>      where junit.xml, pytest.log and results.tsv go (default a temp dir)
#   IRCTEST_GIT=<git dir or url>  where irctest comes from (default GitHub; a local mirror works offline)
#   IRCTEST_SRC=<dir>      where the pinned irctest is unpacked (default ~/.cache/logcaster-irctest/<commit>)
set -euo pipefail

# All in one function, parsed before it runs: editing this file during a run cannot break the run.
main() {

  HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  IRCTEST_COMMIT=b00c039766f5c497920dd787f7cb0e0005bd5ce0
  # irctest's source, pinned: from a local git dir if IRCTEST_GIT names one, else from GitHub.
  IRCTEST_GIT=${IRCTEST_GIT:-https://github.com/progval/irctest.git}
  IRCTEST_SRC=${IRCTEST_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/logcaster-irctest/$IRCTEST_COMMIT}

  if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 <checkout-dir> [pytest args]" >&2
    exit 2
  fi
  CHECKOUT=$(cd "$1" && pwd)
  shift

  # irctest itself, pinned, outside every checkout.
  if [[ ! -f $IRCTEST_SRC/conftest.py ]]; then
    rm -rf "$IRCTEST_SRC" && mkdir -p "$IRCTEST_SRC"
    if [[ -d $IRCTEST_GIT ]]; then
      git --git-dir="$IRCTEST_GIT" archive "$IRCTEST_COMMIT" | tar -x -C "$IRCTEST_SRC"
    else
      git clone --quiet "$IRCTEST_GIT" "$IRCTEST_SRC" && git -C "$IRCTEST_SRC" checkout --quiet "$IRCTEST_COMMIT"
    fi
  fi

  CONTROLLER=${CONTROLLER:-logcaster}
  case $CONTROLLER in
    logcaster) CONTROLLER_MODULE=logcaster; DEFAULT_BASELINE=$HERE/baseline-logcaster.tsv ;;
    ngircd) CONTROLLER_MODULE=ngircd_loopback; DEFAULT_BASELINE=$HERE/baseline-ngircd.tsv ;;
    *) echo "CONTROLLER must be logcaster or ngircd" >&2; exit 2 ;;
  esac

  SELECTION=${SELECTION:-$HERE/selection.txt}
  IDS=()
  if [[ $SELECTION != all ]]; then
    mapfile -t IDS < <(grep -v '^\s*\(#\|$\)' "$SELECTION")
  else
    IDS=(irctest/server_tests)
    DEFAULT_BASELINE=
  fi
  BASELINE=${BASELINE:-$DEFAULT_BASELINE}

  OUT=${IRCTEST_OUT:-$(mktemp -d /tmp/irctest-run.XXXXXX)}
  mkdir -p "$OUT"
  rm -f "$OUT/junit.xml" "$OUT/results.tsv"
  BUILD=$(mktemp -d /tmp/irctest-build.XXXXXX)
  trap 'rm -rf "$BUILD"' EXIT

  # irctest keeps its list of used ports in $TMPDIR/irctest_ports.json, unlocked without xdist:
  # one TMPDIR per run keeps concurrent runs (other sessions) from sharing it.
  mkdir -p "$OUT/tmp"
  export TMPDIR=$OUT/tmp
  export PYTHONPATH=$HERE/controllers:$IRCTEST_SRC${PYTHONPATH:+:$PYTHONPATH}
  export LOGCASTER_CHECKOUT=$CHECKOUT
  if [[ $CONTROLLER == logcaster ]]; then
    if [[ ! -x $CHECKOUT/node_modules/.bin/esbuild ]]; then
      echo "$CHECKOUT has no node_modules: run npm ci --no-audit --no-fund in it first" >&2
      exit 2
    fi
    ENTRY=${LOGCASTER_ENTRY:-examples/irc-log-server/main.ts}
    export LOGCASTER_ENTRY=$ENTRY
    if [[ ${LOGCASTER_MODE:-bundle} == bundle ]]; then
      # What tsup does for `npm run predemo`: bundle the example and the library's source
      # ('logcaster' through tsconfig paths), dependencies external, resolved through a
      # node_modules link beside the bundle.
      (cd "$CHECKOUT" && node_modules/.bin/esbuild "$ENTRY" --bundle --platform=node --format=esm \
        --target=node20 --tsconfig=tsconfig.json --packages=external --log-level=warning \
        --outfile="$BUILD/main.mjs")
      ln -s "$CHECKOUT/node_modules" "$BUILD/node_modules"
      export LOGCASTER_BUNDLE=$BUILD/main.mjs
      how="bundle of $ENTRY"
    else
      unset LOGCASTER_BUNDLE
      how="tsx $ENTRY"
    fi
    echo "irctest: logcaster at $CHECKOUT ($(git -C "$CHECKOUT" rev-parse --short HEAD 2>/dev/null || echo '?'), $how)"
  else
    echo "irctest: ngircd ($(command -v ngircd || echo /usr/sbin/ngircd))"
    export PATH=$PATH:/usr/sbin
  fi
  echo "irctest: ${#IDS[@]} test ids from ${SELECTION}; output in $OUT"

  set +e
  (cd "$IRCTEST_SRC" && timeout --kill-after=30 "${RUN_TIMEOUT:-1800}" python3 -m pytest \
    -p call_timeout -p no:cacheprovider \
    --controller "$CONTROLLER_MODULE" -m "not services" \
    --junitxml="$OUT/junit.xml" -o junit_logging=no -q -rN --tb=short \
    "${IDS[@]}" "$@") >"$OUT/pytest.log" 2>&1
  status=$?
  set -e
  tail -n 1 "$OUT/pytest.log"
  if [[ ! -f $OUT/junit.xml ]]; then
    echo "irctest: pytest wrote no results (exit $status); see $OUT/pytest.log" >&2
    exit 2
  fi
  echo
  if [[ -n $BASELINE && -f $BASELINE ]]; then
    python3 "$HERE/summarize.py" "$OUT/junit.xml" "$BASELINE" --write-tsv "$OUT/results.tsv"
  else
    python3 "$HERE/summarize.py" "$OUT/junit.xml" --write-tsv "$OUT/results.tsv"
  fi
}

main "$@"
exit $?
