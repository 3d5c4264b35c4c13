"""Container health check: GET /healthz on the local web worker (uvicorn or Daphne).

Django answers 400 to a Host it does not allow, so the request names the first of
DJANGO_ALLOWED_HOSTS rather than 127.0.0.1, which production deployments rarely allow."""

import os
import sys
import urllib.request


def allowed_host() -> str:
    first = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    if first in ("", "*"):
        return "localhost"
    return first.lstrip(".")  # ".example.com" allows example.com itself


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(  # noqa: S310 - a fixed http:// URL on loopback
        f"http://127.0.0.1:{port}/healthz", headers={"Host": allowed_host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthz failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
