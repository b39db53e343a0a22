"""The dashboard's ASGI application: JSON API routes, the static front end and plotly.js.

``create_app(storage)`` returns a Starlette app wrapped in the :class:`~tunelab.dashboard._security.Guard`
(token or loopback Host, safety headers). It is read-only unless ``allow_edits=True``, which
enables ``PATCH /api/runs/<id>`` for tags and notes. plotly.js is served from the installed
plotly package (``plotly/package_data/plotly.min.js``): no CDN, no network.

Routes (all ``GET`` unless said otherwise; every answer is JSON with NaN/inf as null, or CSV
with ``format=csv``; errors are ``{"error": message}`` with 400, 401, 403 or 404)::

    /                                   the single-page front end
    /static/{app.js,app.css,plotly.min.js}
    /api/health                         {"ok", "version", "allow_edits"}
    /api/projects                       projects with run counts
    /api/studies                        studies with trial counts and best values
    /api/study/{view}?name=S            view: summary trials history importances parallel contour slice intermediate
    /api/runs                           runs table page (filters, sort, pagination)
    /api/runs/{id}                      one run; PATCH {"tags", "notes"} with allow_edits
    /api/runs/{id}/metrics              curves, downsampled unless the step window fits
    /api/runs/{id}/artifacts/{name}     the registered file, as a download
    /api/compare?runs=a,b               colours, config diff and overlaid curves

Example:
    >>> from starlette.testclient import TestClient
    >>> import tunelab
    >>> client = TestClient(create_app(tunelab.get_storage(":memory:")), base_url="http://127.0.0.1")
    >>> client.get("/api/health").json()["allow_edits"]
    False
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab._imports import require
from tunelab.dashboard._http import ApiError, csv_text, dumps
from tunelab.dashboard._security import Guard
from tunelab.dashboard._studies import StudiesApi
from tunelab.dashboard.api import CsvTable, RunsApi

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from tunelab.storage.base import Storage

__all__ = ["create_app", "plotly_js_path"]

_STATIC = Path(__file__).parent / "static"
_MEDIA = {"app.js": "text/javascript", "app.css": "text/css", "plotly.min.js": "text/javascript"}


def plotly_js_path() -> Path | None:
    """Where the installed plotly package keeps ``plotly.min.js``, or None without plotly.

    Example:
        >>> plotly_js_path().name
        'plotly.min.js'
    """
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def _answer(result: Any) -> Response:
    from starlette.responses import Response

    if isinstance(result, CsvTable):
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in result.filename)
        return Response(csv_text(result.columns, result.rows), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{safe}"'})
    return Response(dumps(result), media_type="application/json", headers={"cache-control": "no-store"})


def _error(status: int, message: str) -> Response:
    from starlette.responses import Response

    return Response(json.dumps({"error": message}), status_code=status, media_type="application/json")


def _endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
    """A sync Starlette endpoint (run in the thread pool) that maps ApiError to its status."""

    def endpoint(request: Request) -> Response:
        try:
            result = handler(request)
        except ApiError as err:
            return _error(err.status, err.message)
        if hasattr(result, "status_code"):
            return result  # type: ignore[no-any-return]
        return _answer(result)

    return endpoint


def _static(request: Request) -> Response:
    from starlette.responses import FileResponse

    name = request.path_params["name"]
    path = plotly_js_path() if name == "plotly.min.js" else (_STATIC / name if name in _MEDIA else None)
    if path is None:
        message = ("plotly.js is not installed: pip install 'tunelab[viz]'" if name == "plotly.min.js"
                   else f"no static file {name!r}.")
        return _error(404, message)
    cache = "public, max-age=86400" if name == "plotly.min.js" else "no-cache"
    return FileResponse(path, media_type=_MEDIA[name], headers={"cache-control": cache})


def _no_icon(request: Request) -> Response:
    from starlette.responses import Response

    return Response(status_code=204)


def _index(request: Request) -> Response:
    from starlette.responses import FileResponse

    return FileResponse(_STATIC / "index.html", media_type="text/html", headers={"cache-control": "no-cache"})


def _routes(runs: RunsApi, studies: StudiesApi, allow_edits: bool) -> list[Any]:
    from starlette.responses import FileResponse
    from starlette.routing import Route

    import tunelab

    def artifact(request: Request) -> Response:
        path, filename = runs.artifact_file(request.path_params["run_id"], request.path_params["name"])
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename) or "artifact"
        return FileResponse(path, media_type="application/octet-stream", filename=safe,
                            headers={"cache-control": "no-store"})

    def run(request: Request) -> Any:
        run_id = request.path_params["run_id"]
        if request.method == "GET":
            return runs.run(run_id)
        if not allow_edits:
            raise ApiError(403, "the dashboard is read-only; start it with --allow-edits to edit tags and notes.")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise ApiError(415, "edits must be sent as application/json.")
        import anyio.from_thread

        raw = anyio.from_thread.run(request.body)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "the body is not valid JSON.") from None
        return runs.update_run(run_id, body)

    get = ["GET"]
    return [
        Route("/", _index, methods=get),
        Route("/static/{name}", _static, methods=get),
        Route("/favicon.ico", _no_icon, methods=get),
        Route("/api/health", _endpoint(lambda r: {"ok": True, "version": tunelab.__version__,
                                                  "allow_edits": allow_edits}), methods=get),
        Route("/api/projects", _endpoint(lambda r: runs.projects(r.query_params)), methods=get),
        Route("/api/studies", _endpoint(lambda r: studies.studies(r.query_params)), methods=get),
        Route("/api/study/{view}", _endpoint(lambda r: studies.view(r.path_params["view"], r.query_params)),
              methods=get),
        Route("/api/runs", _endpoint(lambda r: runs.runs(r.query_params)), methods=get),
        Route("/api/compare", _endpoint(lambda r: runs.compare(r.query_params)), methods=get),
        Route("/api/runs/{run_id}", _endpoint(run), methods=["GET", "PATCH"]),
        Route("/api/runs/{run_id}/metrics",
              _endpoint(lambda r: runs.metrics(r.path_params["run_id"], r.query_params)), methods=get),
        Route("/api/runs/{run_id}/artifacts/{name:path}", _endpoint(artifact), methods=get),
    ]


def create_app(storage: Storage | str, *, token: str | None = None, allow_edits: bool = False) -> Any:
    """Build the dashboard for a store.

    Args:
        storage: A :class:`~tunelab.storage.base.Storage` or a store URL/path.
        token: Secret every request must carry (needed when serving beyond loopback); None
            accepts only requests whose Host is the loopback interface.
        allow_edits: Enable ``PATCH /api/runs/<id>`` (tags and notes); read-only otherwise.

    Returns:
        An ASGI application (Starlette inside the token/header guard), for uvicorn or a test client.

    Raises:
        ImportError: starlette is missing (``pip install 'tunelab[dashboard]'``).
        ValueError: ``token`` is given but empty or shorter than 8 characters.

    Example:
        >>> import tunelab
        >>> app = create_app(tunelab.get_storage(":memory:"), token="s3cret-token")
        >>> type(app).__name__
        'Guard'
    """
    require("starlette", extra="dashboard", feature="tunelab dashboard")
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException

    from tunelab.storage.base import get_storage

    if token is not None and (not isinstance(token, str) or len(token) < 8):
        raise ValueError(f"`token` must be a string of at least 8 characters or None, got {token!r}.")
    store = get_storage(storage)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        text = "no such page or endpoint" if status == 404 else str(getattr(exc, "detail", exc))
        return _error(status, f"{text}: {request.method} {request.url.path}")

    app = Starlette(routes=_routes(RunsApi(store), StudiesApi(store), allow_edits),
                    exception_handlers={404: http_error, 405: http_error})
    return Guard(app, token)
