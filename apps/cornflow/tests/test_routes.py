"""Every route answers for one Flask endpoint: same name, same url rule."""

import re

from fastapi.routing import APIRoute

from cornflow_fastapi.access import catalog
from cornflow_fastapi.main import create_app
from cornflow_support import make_settings

FLASK_PARAM = re.compile(r"<(?:(?:int|string):)?(\w+)>")


def test_routes_match_the_flask_catalogue() -> None:
    views = {view.name: view for view in catalog.CORE_VIEWS + catalog.ALARM_VIEWS}
    views |= {catalog.LOGIN.name: catalog.LOGIN, catalog.SIGNUP.name: catalog.SIGNUP}
    app = create_app(make_settings(database_url="sqlite:///:memory:"))
    checked = 0
    for route in app.state.flask_routes:
        assert isinstance(route, APIRoute)
        view = views.get(route.name)
        assert view is not None, f"{route.path} answers for no Flask endpoint"
        assert route.path == FLASK_PARAM.sub(r"{\1}", view.url_rule)
        checked += 1
    assert checked >= 3
