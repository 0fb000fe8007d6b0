"""The officer's workspace: a Vietnamese web interface over the same core as the command line,
served by `loa serve` (Flask on Werkzeug, Jinja2 templates shared with the report and the portal,
waitress). Every page needs a signed-in user; every form carries a CSRF token (Flask-WTF); a
viewer reads and changes nothing; stored text is escaped by the templates."""
from .app import create_app

__all__ = ["create_app"]
