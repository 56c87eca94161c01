"""Cornflow settings, read from the environment variables the Flask server reads."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_serializer, field_validator
from pydantic_settings import SettingsConfigDict

from svckit.settings import ServiceSettings

CORNFLOW_VERSION = "1.3.9"

DEVELOPMENT_SECRET = "development-secret-key-change-me-please"


class AuthType(IntEnum):
    """Flask-AppBuilder's numbering, as Cornflow's AUTH_TYPE uses it."""

    OID = 0
    DB = 1
    LDAP = 2


class CornflowBackend(IntEnum):
    """Where executions are solved. Flask's numbers (1, 2) keep their meaning; local is ours."""

    LOCAL = 0
    AIRFLOW = 1
    DATABRICKS = 2


def _backend(value: Any) -> Any:
    # The environment holds a name ("local", "airflow") or Flask's number ("1", "2").
    if isinstance(value, str):
        text = value.strip().lower()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            return CornflowBackend[text.upper()]
        except KeyError:
            return value
    return value


class SignupMode(IntEnum):
    OFF = 0
    OPEN = 1
    ADMIN_ONLY = 2


class LdapSettings(BaseModel, frozen=True):
    host: str
    bind_dn: str
    bind_password: str
    username_attribute: str
    user_base: str
    service_base: str
    email_attribute: str
    user_object_class: str
    group_object_class: str
    group_attribute: str
    group_base: str
    group_to_role: dict[int, str]
    protocol_version: int
    use_tls: bool


class OidSettings(BaseModel, frozen=True):
    provider: str | None
    provider_type: int
    expected_audience: str | None

    @property
    def jwks_url(self) -> str | None:
        if not self.provider:
            return None
        if self.provider_type == 1:
            tenant = self.provider.split("/")[3]
            return f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"
        return self.provider.rstrip("/") + "/.well-known/jwks.json"


class SmtpSettings(BaseModel, frozen=True):
    address: str
    password: str
    server: str
    port: int
    service_name: str


class LocalRunnerSettings(BaseModel, frozen=True):
    """The embedded runner (CORNFLOW_BACKEND=local); picklable, handed to worker processes."""

    database_url: str
    workers: int
    app_specs: tuple[str, ...]
    poll_interval: float
    heartbeat_interval: float
    lease_seconds: float
    max_attempts: int
    time_limit_grace: float
    max_run_seconds: float | None
    stop_grace: float
    solve_niceness: int


class CornflowSettings(ServiceSettings):
    """Field names are the Flask server's environment variable names, lower-cased."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_prefix="")

    secret_fields: ClassVar[tuple[str, ...]] = ("secret_key",)

    flask_env: str = "development"
    database_url: str = "sqlite:///cornflow.db"
    secret_key: str = DEVELOPMENT_SECRET
    secret_bi_key: str | None = None
    auth_type: AuthType = AuthType.DB
    default_role: int = 2
    signup_activated: SignupMode = SignupMode.ADMIN_ONLY
    token_duration: float = 24
    pwd_rotation_time: float = 120
    service_user_allow_password_login: int = 1
    cornflow_service_user: str = "service_user"
    open_deployment: int = 1
    user_access_all_objects: int = 0
    cornflow_backend: CornflowBackend = CornflowBackend.LOCAL
    airflow_url: str | None = None
    airflow_user: str | None = None
    airflow_pwd: str | None = None
    cors_origins: str = "*"
    application_root: str = "/"
    # Flask keeps the raw string, so any non-empty value (even "0") turns alarms on.
    cf_alarms_endpoint: str | int | None = None
    execution_files: int = 0
    execution_files_path: str = "execution_files"
    execution_files_cleanup_frequency: int = 90
    log_level: int = 20

    ldap_host: str = "ldap://openldap:389"
    ldap_bind_dn: str = "cn=admin,dc=example,dc=org"
    ldap_bind_password: str = "admin"
    ldap_username_attribute: str = "cn"
    ldap_user_base: str = "ou=users,dc=example,dc=org"
    ldap_service_base: str | None = None
    ldap_email_attribute: str = "mail"
    ldap_user_object_class: str = "inetOrgPerson"
    ldap_group_object_class: str = "groupOfNames"
    ldap_group_attribute: str = "cn"
    ldap_group_base: str = "dc=example,dc=org"
    ldap_group_to_role_service: str = "service"
    ldap_group_to_role_admin: str = "administrators"
    ldap_group_to_role_viewer: str = "viewers"
    ldap_group_to_role_planner: str = "planners"
    ldap_protocol_version: int = 3
    ldap_use_tls: str = "False"

    oid_provider: str | None = None
    oid_provider_type: int = 2
    oid_expected_audience: str | None = None

    service_email_address: str | None = None
    service_email_password: str | None = None
    service_email_server: str | None = None
    service_email_port: int | None = None
    service_name: str = "Cornflow"

    # Our own settings (no Flask counterpart).
    password_hash_scheme: Literal["bcrypt", "argon2"] = Field(
        default="bcrypt",
        description="bcrypt keeps hashes readable by the Flask server; argon2 once it is retired",
    )
    max_body_bytes: int = 64 * 1024 * 1024
    max_inflated_body_bytes: int = 256 * 1024 * 1024
    # The largest model file /instancefile/ reads (413 above it; env MAX_INSTANCE_FILE_BYTES):
    # a parsed model takes many times its file size in memory.
    max_instance_file_bytes: int = Field(default=16 * 1024 * 1024, ge=0)
    metrics_enabled: bool = True
    # /health/ checks the service user and asks the backend at most once per this many
    # seconds (0: on every call).
    health_check_interval: float = Field(default=1.0, ge=0)

    # The local runner. Each server process started with CORNFLOW_BACKEND=local supervises
    # LOCAL_WORKERS worker processes (0: none, run `cornflow worker` elsewhere).
    local_workers: int = Field(default=1, ge=0)
    # Apps besides those installed under the `cornflow.apps` entry points: "module:attribute",
    # comma-separated.
    cornflow_apps: str = ""
    local_poll_interval: float = Field(default=1.0, gt=0)
    local_heartbeat_interval: float = Field(default=5.0, gt=0)
    # A run whose worker has not reported for this long is taken back and queued again.
    local_lease_seconds: float = Field(default=60.0, gt=0)
    # Runs that lost their worker this many times are failed instead of queued again.
    local_max_attempts: int = Field(default=3, ge=1)
    # How long past its configured time limit a run may go before it is killed.
    local_time_limit_grace: float = Field(default=10.0, ge=0)
    # A hard limit for runs whose configuration sets none (unset: no limit).
    local_max_run_seconds: float | None = Field(default=None, gt=0)
    local_stop_grace: float = Field(default=10.0, ge=0)
    # Solves run this much nicer than the server, so a long solve on the same cores cannot
    # starve the API of CPU (0 keeps the server's priority).
    local_solve_niceness: int = Field(default=10, ge=0, le=19)

    @field_validator("cornflow_backend", mode="before")
    @classmethod
    def _read_backend(cls, value: Any) -> Any:
        return _backend(value)

    @field_serializer("cornflow_backend")
    def _show_backend(self, value: CornflowBackend) -> str | int:
        # Shown as Flask shows it (a number) unless it is ours, which has no number there.
        return "local" if value is CornflowBackend.LOCAL else int(value)

    @property
    def environment_name(self) -> str:
        return self.flask_env

    @property
    def ldap(self) -> LdapSettings:
        return LdapSettings(
            host=self.ldap_host,
            bind_dn=self.ldap_bind_dn,
            bind_password=self.ldap_bind_password,
            username_attribute=self.ldap_username_attribute,
            user_base=self.ldap_user_base,
            service_base=self.ldap_service_base or self.ldap_user_base,
            email_attribute=self.ldap_email_attribute,
            user_object_class=self.ldap_user_object_class,
            group_object_class=self.ldap_group_object_class,
            group_attribute=self.ldap_group_attribute,
            group_base=self.ldap_group_base,
            group_to_role={
                4: self.ldap_group_to_role_service,
                3: self.ldap_group_to_role_admin,
                1: self.ldap_group_to_role_viewer,
                2: self.ldap_group_to_role_planner,
            },
            protocol_version=self.ldap_protocol_version,
            use_tls=self.ldap_use_tls.strip().lower() in {"true", "1", "yes"},
        )

    @property
    def oid(self) -> OidSettings:
        return OidSettings(
            provider=self.oid_provider,
            provider_type=self.oid_provider_type,
            expected_audience=self.oid_expected_audience,
        )

    @property
    def smtp(self) -> SmtpSettings | None:
        """SMTP for password recovery; None (feature answers 501) unless fully configured."""
        if not (
            self.service_email_address
            and self.service_email_password
            and self.service_email_server
            and self.service_email_port
        ):
            return None
        return SmtpSettings(
            address=self.service_email_address,
            password=self.service_email_password,
            server=self.service_email_server,
            port=self.service_email_port,
            service_name=self.service_name,
        )

    @property
    def alarms_enabled(self) -> bool:
        return bool(self.cf_alarms_endpoint)

    @property
    def local_runner(self) -> LocalRunnerSettings:
        return LocalRunnerSettings(
            database_url=self.database_url,
            workers=self.local_workers,
            app_specs=tuple(spec.strip() for spec in self.cornflow_apps.split(",") if spec.strip()),
            poll_interval=self.local_poll_interval,
            heartbeat_interval=self.local_heartbeat_interval,
            lease_seconds=self.local_lease_seconds,
            max_attempts=self.local_max_attempts,
            time_limit_grace=self.local_time_limit_grace,
            max_run_seconds=self.local_max_run_seconds,
            stop_grace=self.local_stop_grace,
            solve_niceness=self.local_solve_niceness,
        )
