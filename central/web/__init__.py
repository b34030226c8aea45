"""The hub's web dashboard (``/panel``): Jinja2 shells, ES modules and server-side SVG charts."""

PREFIX = "/panel"
