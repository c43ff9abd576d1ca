import sqlite3, os, random, sys, datetime
path = sys.argv[1]; n = int(sys.argv[2])
if os.path.exists(path): os.remove(path)
here = os.path.dirname(os.path.abspath(__file__))
ref = os.environ.get('MFACTL_PI_REFERENCE') or os.path.join(here, '..', '..', '..', 'tests', 'reference')
ddl = open(os.path.join(ref, 'schema-sqlite.sql')).read()
con = sqlite3.connect(path)
con.executescript("\n".join(l for l in ddl.splitlines() if not l.startswith("CREATE TABLE sqlite_sequence")))
con.execute("INSERT INTO alembic_version VALUES ('b7c1e4d2a9f3')")
rnd = random.Random(42)
base = datetime.datetime(2026, 1, 1)
actions = ['POST /validate/check', 'GET /token/', 'POST /auth', 'POST /token/init', 'DELETE /token/X']
def rows():
    for i in range(1, n + 1):
        d = base + datetime.timedelta(seconds=i * 7, microseconds=rnd.randrange(1000000))
        sig = 'rsa_sha256_pss:' + rnd.getrandbits(2048).to_bytes(256, 'big').hex()
        yield (i, d.strftime('%Y-%m-%d %H:%M:%S.%f'), sig, rnd.choice(actions), rnd.random() < 0.9,
               'HOTP%08d' % rnd.randrange(200000), 'hotp', 'user%05d' % rnd.randrange(50000), 'realm1', 'resolver1',
               '', 'tokentype=hotp, count=%d, window=10' % rnd.randrange(10**9), 'wrong otp value' if rnd.random() < 0.1 else 'loginmode=privacyIDEA', 'node%d' % rnd.randrange(4),
               '10.%d.%d.%d' % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)), 'privacyidea-cp', '3.14',
               'INFO', '', '%d' % rnd.randrange(100000), 'policy_%d, policy_%d' % (rnd.randrange(50), rnd.randrange(50)),
               d.strftime('%Y-%m-%d %H:%M:%S.%f'), '1970-01-01 00:00:00.%06d' % rnd.randrange(1000000))
con.executemany("""INSERT INTO pidea_audit (id, date, signature, action, success, serial, token_type, user, realm, resolver,
  administrator, action_detail, info, privacyidea_server, client, user_agent, user_agent_version, loglevel, clearance_level,
  thread_id, policies, startdate, duration) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows())
con.commit()
con.close()
print(os.path.getsize(path))
