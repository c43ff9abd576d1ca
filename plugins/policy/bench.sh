#!/usr/bin/env bash
# Benchmark of `mfactl policy import` and `mfactl policy export` on SQLite (release build).
#
#   plugins/policy/bench.sh [N]        # N policies, default 10000
#
# Makes a privacyIDEA 3.14 SQLite database from the reference schema in a temp dir, generates
# an export of N policies (a third with conditions, all with descriptions, realms, actions),
# and times: import into the empty database, export (JSON and YAML), a no-change --plan, and an
# import that changes every policy. Needs sqlite3 and python3. Set MFACTL to use another binary.
set -euo pipefail

N="${1:-10000}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REF="${MFACTL_PI_REFERENCE:-$ROOT/../shared/reference}"
if [ -z "${MFACTL:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p mfactl)
    MFACTL="$ROOT/target/release/mfactl"
fi
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT

mkdb() {
    grep -v '^CREATE TABLE sqlite_sequence' "$REF/schema-sqlite.sql" | sqlite3 "$1"
    sqlite3 "$1" "INSERT INTO resolver (id, name, rtype) VALUES (1, 'reso1', 'passwdresolver');
                  INSERT INTO resolver (id, name, rtype) VALUES (2, 'reso2', 'passwdresolver');
                  INSERT INTO realm (id, name, \"default\") VALUES (1, 'corp', 0);
                  INSERT INTO realm (id, name, \"default\") VALUES (2, 'partners', 0);"
}
mkdb "$DIR/pi.sqlite"
cat > "$DIR/mfactl.toml" <<EOF
[privacyidea]
SQLALCHEMY_DATABASE_URI = "sqlite:///$DIR/pi.sqlite"
SECRET_KEY = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
PI_PEPPER = "pepper"
EOF

python3 - "$N" "$DIR/gen.json" <<'EOF'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
pols = []
for i in range(n):
    p = {"name": f"pol-{i:05d}", "user_case_insensitive": i % 7 == 0, "active": i % 5 != 0,
         "scope": ["admin", "authentication", "webui", "enrollment", "user"][i % 5],
         "realm": ["corp"] if i % 2 else ["corp", "partners"], "adminrealm": [], "adminuser": [],
         "resolver": ["reso1"] if i % 3 == 0 else [], "pinode": [], "check_all_resolvers": False,
         "user": ["alice", "!bob"] if i % 4 == 0 else [], "client": ["10.0.0.0/8"] if i % 6 == 0 else [],
         "time": "Mon-Fri: 08:00-18:00" if i % 9 == 0 else "",
         "conditions": [["userinfo", "groups", "contains", f"group{i}", True, "raise_error"]] if i % 3 == 0 else [],
         "priority": 1 + i % 10, "description": f"generated policy {i} für Tests",
         "user_agents": [], "action": {"enable": True, "otppin": "userstore", "logout_time": str(i)}}
    pols.append(p)
json.dump({"policy": pols, "privacyIDEA_version": "3.14"}, open(out, "w"), indent=2)
EOF

TIMEFORMAT='%R %U %S'
t() { # label, command...  prints wall-clock and CPU (user+sys) seconds
    local label="$1"; shift
    local s
    s=$( { time "$@" >/dev/null 2>"$DIR/err"; } 2>&1 ) || { cat "$DIR/err"; exit 1; }
    read -r real user sys <<<"$s"
    printf '%-46s %6.3f s wall  %6.3f s cpu\n' "$label" "$real" "$(echo "$user + $sys" | bc)"
}
cfg=(--config "$DIR/mfactl.toml")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mfactl policy, $N policies, SQLite ($(sqlite3 --version | cut -d' ' -f1) CLI for setup), $(nproc) cores"
t "import into an empty database" "$MFACTL" "${cfg[@]}" policy import -i "$DIR/gen.json"
t "export JSON (-o file)" "$MFACTL" "${cfg[@]}" policy export -o "$DIR/out.json"
t "export YAML (-o file)" "$MFACTL" "${cfg[@]}" policy export -f yaml -o "$DIR/out.yaml"
t "import --plan, nothing to change" "$MFACTL" "${cfg[@]}" policy import -i "$DIR/out.json" --plan
sed 's/"priority": \([0-9]*\)/"priority": 1\1/' "$DIR/out.json" > "$DIR/changed.json"
t "import changing every policy" "$MFACTL" "${cfg[@]}" policy import -i "$DIR/changed.json"
t "import --replace-all of the export (restore)" "$MFACTL" "${cfg[@]}" policy import -i "$DIR/out.json" --replace-all --yes
t "list" "$MFACTL" "${cfg[@]}" policy list
# correctness: the restore gives the same export
"$MFACTL" "${cfg[@]}" policy export -o "$DIR/again.json" 2>/dev/null
cmp -s "$DIR/out.json" "$DIR/again.json" && echo "round trip: export after restore is byte-identical" \
    || { echo "round trip: export differs"; exit 1; }
echo "rows: policy $(sqlite3 "$DIR/pi.sqlite" 'select count(*) from policy'), policycondition $(sqlite3 "$DIR/pi.sqlite" 'select count(*) from policycondition'), description $(sqlite3 "$DIR/pi.sqlite" 'select count(*) from description')"
