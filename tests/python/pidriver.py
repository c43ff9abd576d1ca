"""Run a Python snippet inside a privacyIDEA 3.14 app context (mfactl interop tests).

Usage: PRIVACYIDEA_CONFIGFILE=/path/pi.cfg python pidriver.py < snippet.py

The snippet (dedented first) runs with these names bound: ``app`` (the Flask app made by
``create_app(config_name="production", config_file=$PRIVACYIDEA_CONFIGFILE, silent=True)``),
``db`` (``privacyidea.models.db``) and ``result`` (None). Inside an app context. Whatever the
snippet assigns to ``result`` is printed to stdout as JSON, and nothing else is: everything
privacyIDEA or the snippet prints goes to stderr. bytes become lowercase hex, datetimes
``str(datetime)``, other unknown objects ``str(obj)``. An exception prints its traceback to
stderr and exits with status 1.

Side effect to know about: create_app() upserts this node into the ``nodename`` table when it
exists (the harness's pi.cfg fixes PI_NODE and PI_NODE_UUID).
"""
import json
import os
import sys
import textwrap
import traceback


def _default(obj):
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def main():
    code = textwrap.dedent(sys.stdin.read())
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        from privacyidea.app import create_app
        from privacyidea.models import db

        app = create_app(
            config_name="production",
            config_file=os.environ["PRIVACYIDEA_CONFIGFILE"],
            silent=True,
        )
        namespace = {"app": app, "db": db, "result": None, "__name__": "__pidriver__"}
        with app.app_context():
            exec(compile(code, "<snippet>", "exec"), namespace)
            result = namespace["result"]
            text = json.dumps(result, default=_default, ensure_ascii=False)
    except BaseException:  # noqa: B036 - report everything, including SystemExit
        traceback.print_exc()
        sys.stderr.flush()
        return 1
    finally:
        sys.stdout = real_stdout
    real_stdout.write(text)
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
