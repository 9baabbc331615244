"""cargohold's HTTP API, dashboard and metrics (the `[web]` extra).

```python
from cargohold.web import create_web_app
web = create_web_app(app)   # an ASGI app: mount it, or run `cargohold serve myapp:app`
```
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401
except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "cargohold.web needs the [web] extra: pip install 'cargohold[web]'", name=error.name
    ) from error

from cargohold.web.app import CargoholdWeb, create_web_app
from cargohold.web.auth import Access
from cargohold.web.links import status_link
from cargohold.web.settings import WebSettings

__all__ = ["Access", "CargoholdWeb", "WebSettings", "create_web_app", "status_link"]
