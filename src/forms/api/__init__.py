"""The agencies' read-only JSON API (``/api/v1``, served with the console): each agency reads the
submissions routed to it with a token of its own. ``app`` holds the routes, ``limits`` the rate limit,
``openapi.json`` the description it serves (and the tests validate every response against)."""
