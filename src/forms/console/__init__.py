"""The clerk console: a web app (Starlette, Jinja, Japanese pages) over ``forms.review.Review``.

    forms console --listen 127.0.0.1:8080

``create_app(settings, review=…)`` builds the app; ``forms.cli.console`` runs it with uvicorn.
"""

from forms.console.app import create_app

__all__ = ["create_app"]
