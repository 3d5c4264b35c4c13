"""Every code a request can be refused with (core.errors.Refused, raised by services and the socket) is in the
documentation's error tables: docs/api.md for REST, docs/protocol.md for the socket. Integrators act on the
code, so one missing leaves them with a status and a sentence (two_factor_on, already_verified,
export_in_progress, otp_throttled were)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["accounts", "core", "files", "messaging", "moderation", "notifications", "operations", "previews"]


def refused_codes() -> set[str]:
    codes = set()
    for package in PACKAGES + ["realtime"]:
        for source in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Refused"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    codes.add(node.args[0].value)
    return codes


def test_every_refusal_code_is_documented():
    codes = refused_codes()
    assert {"two_factor_on", "export_in_progress", "unavailable"} <= codes  # the walk finds them
    documented = (ROOT / "docs" / "api.md").read_text() + (ROOT / "docs" / "protocol.md").read_text()
    assert sorted(code for code in codes if f"`{code}`" not in documented) == []
