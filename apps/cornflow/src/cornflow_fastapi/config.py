"""Cornflow settings, read from the environment variables the Flask server reads."""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from svckit.settings import ServiceSettings

CORNFLOW_VERSION = "1.3.9"

DEVELOPMENT_SECRET = "development-secret-key-change-me-please"


class AuthType(IntEnum):
    """Flask-AppBuilder's numbering, as Cornflow's AUTH_TYPE uses it."""

    OID = 0
    DB = 1
    LDAP = 2


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
    cornflow_backend: int = 1
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
    metrics_enabled: bool = True

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
