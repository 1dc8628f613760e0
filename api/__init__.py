"""The HTTP API the brief's browser-side service expects, over the shared `ProgressService`.

`api.app.create_app` builds it; `progress-ops api` serves it with uvicorn. See `docs/api.md`.
"""
