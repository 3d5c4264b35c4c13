"""axe-core (pinned in frontend/web's lockfile, the engine @axe-core/playwright wraps) run in a page:
every rule axe runs by default, and its experimental ones too (label-content-name-mismatch among them)."""

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "frontend" / "web" / "node_modules" / "axe-core" / "axe.min.js"

RUN = """async () => {
  const experimental = axe.getRules(["experimental"]).map((rule) => [rule.ruleId, { enabled: true }]);
  const result = await axe.run(document, { rules: Object.fromEntries(experimental) });
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE_JS.is_file():
        raise AssertionError(f"{AXE_JS} is missing: run `make web` (npm ci) first")
    # Evaluated by the browser's own protocol, not added as a <script>: the app's Content-Security-Policy
    # refuses inline scripts, and axe is the test's tool, not the page's.
    page.evaluate(AXE_JS.read_text())
    return page.evaluate(RUN)
