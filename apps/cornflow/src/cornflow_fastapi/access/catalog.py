"""The Flask server's endpoint catalogue: view names, url rules and default grants.

`api_view` rows are looked up by url rule on every request, so each of our routes names the
view it answers for here. Order matters: a fresh database numbers the views in the order
`exposed_views` lists them, and the default grants in an order derived from BASE_GRANTS and
EXTRA_GRANTS (see `access.seed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from cornflow_fastapi.config import AuthType, CornflowSettings, SignupMode


class RoleId(IntEnum):
    DUMMY = 0
    VIEWER = 1
    PLANNER = 2
    ADMIN = 3
    SERVICE = 4


class ActionId(IntEnum):
    GET = 1
    PATCH = 2
    POST = 3
    PUT = 4
    DELETE = 5


ROLE_NAMES = {
    RoleId.DUMMY: "dummy",
    RoleId.VIEWER: "viewer",
    RoleId.PLANNER: "planner",
    RoleId.ADMIN: "admin",
    RoleId.SERVICE: "service",
}

ACTION_NAMES = {
    ActionId.GET: "can_get",
    ActionId.PATCH: "can_patch",
    ActionId.POST: "can_post",
    ActionId.PUT: "can_put",
    ActionId.DELETE: "can_delete",
}

METHOD_ACTIONS = {
    "GET": ActionId.GET,
    "PATCH": ActionId.PATCH,
    "POST": ActionId.POST,
    "PUT": ActionId.PUT,
    "DELETE": ActionId.DELETE,
}


@dataclass(frozen=True)
class View:
    name: str
    url_rule: str
    roles: tuple[RoleId, ...]
    description: str = ""


V, P, A, S, D = RoleId.VIEWER, RoleId.PLANNER, RoleId.ADMIN, RoleId.SERVICE, RoleId.DUMMY
_ALL = (V, P, A, S)
_NO_VIEWER = (P, A, S)
_PLANNING = (V, P, A)

INSTANCE = View("instance", "/instance/", _ALL)
INSTANCE_DETAIL = View("instances-detail", "/instance/<string:idx>/", _ALL)
INSTANCE_DATA = View("instances-data", "/instance/<string:idx>/data/", _ALL)
INSTANCE_FILE = View("instance-file", "/instancefile/", _ALL)
DATA_CHECK_KPIS_EXECUTION = View(
    "data-check-kpis-execution", "/data-check-kpis/execution/<string:idx>/", (P, A)
)
DATA_CHECK_EXECUTION = View("data-check-execution", "/data-check/execution/<string:idx>/", (P, A))
DATA_CHECK_KPIS_INSTANCE = View(
    "data-check-kpis-instance", "/data-check-kpis/instance/<string:idx>/", (P, A)
)
DATA_CHECK_INSTANCE = View("data-check-instance", "/data-check/instance/<string:idx>/", (P, A))
DATA_CHECK_KPIS_CASE = View("data-check-kpis-case", "/data-check-kpis/case/<int:idx>/", (P, A))
DATA_CHECK_CASE = View("data-check-case", "/data-check/case/<int:idx>/", (P, A))
EXECUTION_DETAIL = View("execution-detail", "/execution/<string:idx>/", _ALL)
EXECUTION_STATUS = View("execution-status", "/execution/<string:idx>/status/", _ALL)
EXECUTION_DATA = View("execution-data", "/execution/<string:idx>/data/", _ALL)
EXECUTION_LOG = View("execution-log", "/execution/<string:idx>/log/", _ALL)
EXECUTION_RELAUNCH = View("execution-relaunch", "/execution/<string:idx>/relaunch/", _ALL)
EXECUTION = View("execution", "/execution/", _ALL)
EXECUTION_FILES = View("execution-files", "/execution/files/<string:idx>/", (S,))
EXECUTION_FILES_CLEANUP = View("execution-files-cleanup", "/execution/files/cleanup/", (S,))
DAG = View("dag", "/dag/<string:idx>/", (A, S))
DAG_MANUAL = View("dag-manual", "/dag/", _NO_VIEWER)
DAG_INSTANCE = View("dag-instance", "/dag/instance/<string:idx>/", (A, S))
DAG_CASE = View("dag-case", "/dag/case/<int:idx>/", (A, S))
DEPLOYED_DAG = View("deployed-dag", "/dag/deployed/", (S,))
DEPLOYED_DAG_DETAIL = View("deployed-dag-detail", "/dag/deployed/<string:idx>/", (S,))
USER = View("user", "/user/", (A,))
USER_DETAIL = View("user-detail", "/user/<int:user_id>/", _ALL)
USER_ADMIN = View("user-admin", "/user/<int:user_id>/<int:make_admin>/", (A,))
TOKEN = View("token", "/token/", _ALL)
SCHEMA = View("schema", "/schema/", _ALL)
SCHEMA_DETAILS = View("schema-details", "/schema/<string:dag_name>/", _ALL)
EXAMPLE_DATA = View("example-data", "/example/<string:dag_name>/", _PLANNING)
EXAMPLE_DATA_DETAIL = View(
    "example-data-detail", "/example/<string:dag_name>/<string:example_name>/", _ALL
)
HEALTH = View("health", "/health/", _ALL)
CASE_INSTANCE_EXECUTION = View("case-instance-execution", "/case/instance/", (P, A))
CASE_COPY = View("case-copy", "/case/<int:idx>/copy/", (P, A))
CASE = View("case", "/case/", _PLANNING)
CASE_DETAIL = View("case-detail", "/case/<int:idx>/", _PLANNING)
CASE_DATA = View("case-data", "/case/<int:idx>/data/", _PLANNING)
CASE_INSTANCE = View("case-instance", "/case/<int:idx>/instance/", (P, A))
CASE_COMPARE = View("case-compare", "/case/<int:idx1>/<int:idx2>/", _PLANNING)
ACTIONS = View(
    "actions",
    "/action/",
    (A,),
    "Endpoint which allows to get the actions defined in the application",
)
PERMISSIONS = View("permissions", "/permission/", (A,))
PERMISSION_DETAIL = View("permission-detail", "/permission/<int:idx>/", (A,))
ROLES = View(
    "roles", "/roles/", (A,), "Endpoint to get or create the current roles in the application"
)
ROLES_DETAIL = View(
    "roles-detail",
    "/roles/<int:idx>/",
    (A,),
    "Endpoint to get, modify or delete a specific role of the application",
)
API_VIEW = View(
    "api-view",
    "/apiview/",
    (A,),
    "Endpoint to get the list of all the endpoints defined in cornflow and its url",
)
USER_ROLES = View(
    "user-roles",
    "/user/role/",
    (A,),
    "Endpoint to get the list of roles assigned to users and create new assignments",
)
USER_ROLES_DETAIL = View(
    "user-roles-detail",
    "/user/role/<int:user_id>/<int:role_id>/",
    (A,),
    "Endpoint to get a specific role assignment or to delete one",
)
RECOVER_PASSWORD = View("recover-password", "/user/recover-password/", _ALL)
LICENCES = View("licences", "/licences/", _PLANNING)
TABLES = View("tables", "/table/<string:table_name>/", (S,))
TABLES_DETAIL = View("tables-detail", "/table/<string:table_name>/<string:idx>/", (S,))
SIGNUP = View("signup", "/signup/", (A,))
LOGIN = View("login", "/login/", _ALL)
ALARMS = View("alarms", "/alarms/", _ALL)
ALARMS_DETAIL = View("alarms-detail", "/alarms/<int:idx>/", _ALL)
MAIN_ALARMS = View("main-alarms", "/main-alarms/", _ALL)

CORE_VIEWS: tuple[View, ...] = (
    INSTANCE, INSTANCE_DETAIL, INSTANCE_DATA, INSTANCE_FILE,
    DATA_CHECK_KPIS_EXECUTION, DATA_CHECK_EXECUTION, DATA_CHECK_KPIS_INSTANCE,
    DATA_CHECK_INSTANCE, DATA_CHECK_KPIS_CASE, DATA_CHECK_CASE,
    EXECUTION_DETAIL, EXECUTION_STATUS, EXECUTION_DATA, EXECUTION_LOG, EXECUTION_RELAUNCH,
    EXECUTION, EXECUTION_FILES, EXECUTION_FILES_CLEANUP,
    DAG, DAG_MANUAL, DAG_INSTANCE, DAG_CASE, DEPLOYED_DAG, DEPLOYED_DAG_DETAIL,
    USER, USER_DETAIL, USER_ADMIN, TOKEN, SCHEMA, SCHEMA_DETAILS, EXAMPLE_DATA,
    EXAMPLE_DATA_DETAIL, HEALTH,
    CASE_INSTANCE_EXECUTION, CASE_COPY, CASE, CASE_DETAIL, CASE_DATA, CASE_INSTANCE,
    CASE_COMPARE,
    ACTIONS, PERMISSIONS, PERMISSION_DETAIL, ROLES, ROLES_DETAIL, API_VIEW, USER_ROLES,
    USER_ROLES_DETAIL, RECOVER_PASSWORD, LICENCES, TABLES, TABLES_DETAIL,
)  # fmt: skip

ALARM_VIEWS: tuple[View, ...] = (ALARMS, ALARMS_DETAIL, MAIN_ALARMS)

# What a role listed in a view's `roles` gets on it (Flask's BASE_PERMISSION_ASSIGNATION). The
# order is Flask's, service's odd one included: it decides the ids of new permission rows.
BASE_GRANTS: tuple[tuple[RoleId, ActionId], ...] = (
    (V, ActionId.GET),
    (P, ActionId.GET),
    (P, ActionId.PATCH),
    (P, ActionId.POST),
    (P, ActionId.PUT),
    (P, ActionId.DELETE),
    (A, ActionId.GET),
    (A, ActionId.PATCH),
    (A, ActionId.POST),
    (A, ActionId.PUT),
    (A, ActionId.DELETE),
    (S, ActionId.GET),
    (S, ActionId.PATCH),
    (S, ActionId.PUT),
    (S, ActionId.DELETE),
    (S, ActionId.POST),
)

# Grants beyond BASE_GRANTS (Flask's EXTRA_PERMISSION_ASSIGNATION), in Flask's order.
EXTRA_GRANTS: tuple[tuple[RoleId, ActionId, str], ...] = (
    (D, ActionId.GET, USER_DETAIL.name),
    (D, ActionId.PUT, USER_DETAIL.name),
    (V, ActionId.PUT, USER_DETAIL.name),
    (D, ActionId.GET, USER_ROLES.name),
    (V, ActionId.GET, USER_ROLES.name),
    (P, ActionId.GET, USER_ROLES.name),
    (S, ActionId.GET, USER_ROLES.name),
    (V, ActionId.GET, EXECUTION_FILES.name),
    (P, ActionId.GET, EXECUTION_FILES.name),
    (A, ActionId.GET, EXECUTION_FILES.name),
)


def signup_exposed(settings: CornflowSettings) -> bool:
    """Flask only mounts /signup/ for database logins with signup open or admin-only."""
    return settings.auth_type == AuthType.DB and settings.signup_activated != SignupMode.OFF


def exposed_views(settings: CornflowSettings) -> tuple[View, ...]:
    """The views a server with these settings answers for, in Flask's registration order.

    Flask appends the conditional endpoints (signup, then login, which every auth type mounts)
    after its resource list, and the alarm views after those.
    """
    views = [*CORE_VIEWS]
    if signup_exposed(settings):
        views.append(SIGNUP)
    views.append(LOGIN)
    if settings.alarms_enabled:
        views.extend(ALARM_VIEWS)
    return tuple(views)
