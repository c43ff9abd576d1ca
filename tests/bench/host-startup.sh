#!/usr/bin/env bash
# Start-up cost of the host: `mfactl --help` and `mfactl plugins list` with 0 and with 10
# external plugins in the plugin directory. Median wall time and peak RSS over N runs (default 31)
# of the release build. Usage: tests/bench/host-startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-31}
cargo build --release --locked -q -p mfactl -p fixture-hello
bin=target/release/mfactl
dir=$(mktemp -d)
chmod 755 "$dir"
empty="$dir/empty"; ten="$dir/ten"
mkdir -m 755 "$empty" "$ten"
for i in $(seq 0 9); do install -m 644 target/release/libfixture_hello.so "$ten/hello$i.so"; done
measure() { # label, args...
  local label=$1; shift
  local walls=() rss=()
  for _ in $(seq "$runs"); do
    local t0 t1 kb
    t0=$(date +%s%N)
    /usr/bin/time -o "$dir/rss" -f '%M' "$bin" "$@" >/dev/null 2>&1 || true
    kb=$(tail -1 "$dir/rss")
    t1=$(date +%s%N)
    walls+=($(( (t1 - t0) / 1000 ))); rss+=("$kb")
  done
  local mw mr
  mw=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mr=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-40s median %6.1f ms   peak RSS %6.1f MB\n' "$label" "$(echo "$mw/1000" | bc -l)" "$(echo "$mr/1024" | bc -l)"
}
echo "runs per scenario: $runs (wall time includes /usr/bin/time's own fork+exec)"
measure "--help, 0 external plugins" --plugin-dir "$empty" --help
measure "--help, 10 external plugins" --plugin-dir "$ten" --help
measure "plugins list, 0 external plugins" --plugin-dir "$empty" plugins list
measure "plugins list, 10 external plugins" --plugin-dir "$ten" plugins list
rm -rf "$dir"
