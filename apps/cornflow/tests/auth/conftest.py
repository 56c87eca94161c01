"""Real peers for the login tests: a slapd per test session and a local JWKS endpoint.

The slapd is Debian's OpenLDAP server with its own slapd.conf and database directory, loaded with
slapadd before it starts and changed afterwards with ldapmodify, as an administrator would. The
identity provider itself cannot run here; what Cornflow needs from it is the key set at
`<provider>/.well-known/jwks.json` and tokens signed with those keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from httpx import AsyncClient
from jwt.algorithms import RSAAlgorithm

# --- OpenLDAP -------------------------------------------------------------------------------------

SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "Directory_admin1"
READER_DN = f"cn=cornflow-reader,{SUFFIX}"
READER_PASSWORD = "Reader_pw1"
USER_BASE = f"ou=users,{SUFFIX}"
SERVICE_BASE = f"ou=services,{SUFFIX}"
GROUP_BASE = f"ou=groups,{SUFFIX}"
# groupOfNames needs at least one member: this DN keeps a group valid once the tests empty it.
PLACEHOLDER_MEMBER = f"cn=nobody,{SUFFIX}"

TOOLS = ("slapd", "slapadd", "ldapmodify")
SCHEMAS = ("core", "cosine", "inetorgperson")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib/openldap", "/usr/lib64/openldap")


@dataclass(frozen=True)
class Person:
    cn: str
    password: str
    mail: str | None
    base: str = USER_BASE
    groups: tuple[str, ...] = ()

    @property
    def dn(self) -> str:
        return f"cn={escape_dn_value(self.cn)},{self.base}"


PEOPLE = {
    "alice": Person("alice", "Alice_pw1", "alice@example.org", groups=("planners", "staff")),
    "bob": Person("bob", "Bob_pw1", "bob@example.org", groups=("viewers", "planners")),
    "dora": Person("dora", "Dora_pw1", "dora@example.org", groups=("administrators",)),
    "loner": Person("loner", "Loner_pw1", "loner@example.org"),
    "nomail": Person("nomail", "Nomail_pw1", None, groups=("planners",)),
    "paren": Person("paren(user)", "Paren_pw1", "paren@example.org", groups=("planners",)),
    "service": Person(
        "service_user", "Service_dir1", "service@example.org", SERVICE_BASE, ("service",)
    ),
    # Two entries with one name, in different branches of the tree.
    "twin": Person("twin", "Twin_pw1", "twin@example.org"),
    "other_twin": Person("twin", "Twin_pw2", "other.twin@example.org", SERVICE_BASE),
    # Same name as the service user, in the user base: only found if the wrong base is searched,
    # and it would make its holder an administrator.
    "decoy": Person("service_user", "Decoy_pw1", "decoy@example.org", groups=("administrators",)),
}
GROUPS = ("service", "administrators", "viewers", "planners", "staff")


def escape_dn_value(value: str) -> str:
    """RFC 4514 escaping of the characters that matter for our names."""
    return "".join(f"\\{char}" if char in ',+"\\<>;=' else char for char in value)


def ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def find_tool(name: str) -> str | None:
    # slapd and slapadd live in /usr/sbin, which is not on every user's PATH.
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def missing_tools() -> list[str]:
    return [name for name in TOOLS if find_tool(name) is None]


def initial_members() -> dict[str, list[str]]:
    members: dict[str, list[str]] = {group: [PLACEHOLDER_MEMBER] for group in GROUPS}
    for person in PEOPLE.values():
        for group in person.groups:
            members[group].append(person.dn)
    return members


def seed_ldif() -> str:
    records = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: cornflow-reader\nuserPassword: {ssha(READER_PASSWORD)}",
    ]
    for base in (USER_BASE, SERVICE_BASE, GROUP_BASE):
        ou = base.split(",")[0].removeprefix("ou=")
        records.append(f"dn: {base}\nobjectClass: organizationalUnit\nou: {ou}")
    for person in PEOPLE.values():
        lines = [
            f"dn: {person.dn}",
            "objectClass: inetOrgPerson",
            f"cn: {person.cn}",
            f"sn: {person.cn.capitalize()}",
            f"userPassword: {ssha(person.password)}",
        ]
        if person.mail:
            lines.append(f"mail: {person.mail}")
        records.append("\n".join(lines))
    for group, members in initial_members().items():
        lines = [f"dn: cn={group},{GROUP_BASE}", "objectClass: groupOfNames", f"cn: {group}"]
        lines += [f"member: {member}" for member in members]
        records.append("\n".join(lines))
    return "\n\n".join(records) + "\n"


def slapd_conf(directory: Path) -> str:
    lines = [f"include /etc/ldap/schema/{schema}.schema" for schema in SCHEMAS]
    lines.append(f"pidfile {directory / 'slapd.pid'}")
    for module_dir in MODULE_DIRS:
        if Path(module_dir, "back_mdb.so").exists():
            lines += [f"modulepath {module_dir}", "moduleload back_mdb"]
            break
    lines += [
        "database mdb",
        "maxsize 10485760",
        f'suffix "{SUFFIX}"',
        f'rootdn "{ADMIN_DN}"',
        f"rootpw {ssha(ADMIN_PASSWORD)}",
        f"directory {directory / 'data'}",
        # Passwords are only ever compared by a bind; everything else is readable once bound.
        "access to attrs=userPassword by anonymous auth by * none",
        "access to * by users read by * none",
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Slapd:
    """One slapd process; `url` is where to reach it."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    members: dict[str, list[str]] = field(default_factory=initial_members)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def cornflow_settings(self, host: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Settings overrides for AUTH_TYPE=2 against this directory (or `host` in front of it)."""
        return {
            "auth_type": 2,
            "ldap_host": host or self.url,
            "ldap_bind_dn": READER_DN,
            "ldap_bind_password": READER_PASSWORD,
            "ldap_user_base": USER_BASE,
            "ldap_service_base": SERVICE_BASE,
            "ldap_group_base": GROUP_BASE,
            **overrides,
        }

    def _log_tail(self) -> str:
        log = self.directory / "slapd.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def start(self) -> None:
        (self.directory / "data").mkdir()
        conf = self.directory / "slapd.conf"
        conf.write_text(slapd_conf(self.directory))
        seed = self.directory / "seed.ldif"
        seed.write_text(seed_ldif())
        subprocess.run(
            [str(find_tool("slapadd")), "-q", "-f", str(conf), "-l", str(seed)],
            check=True,
            capture_output=True,
        )
        # The port is free when probed but could be taken before slapd binds it: retry.
        for _attempt in range(3):
            self.port = free_port()
            if self._launch(conf):
                return
        raise RuntimeError(f"slapd did not start:\n{self._log_tail()}")

    def _launch(self, conf: Path) -> bool:
        with (self.directory / "slapd.log").open("wb") as log:
            # -d keeps slapd in the foreground, so the fixture owns the process.
            self.process = subprocess.Popen(
                [str(find_tool("slapd")), "-f", str(conf), "-h", self.url + "/", "-d", "0"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def modify(self, ldif: str) -> None:
        """Apply an LDIF change set with ldapmodify, bound as the directory administrator."""
        command = [str(find_tool("ldapmodify")), "-x", "-H", self.url]
        await anyio.run_process(
            [*command, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD], input=ldif.encode()
        )

    async def set_groups(self, person: Person, groups: set[str]) -> None:
        """Make `person` a member of exactly these groups."""
        changes = []
        for group in GROUPS:
            has = person.dn in self.members[group]
            if (group in groups) == has:
                continue
            verb = "add" if group in groups else "delete"
            changes.append(
                f"dn: cn={group},{GROUP_BASE}\nchangetype: modify\n{verb}: member\n"
                f"member: {person.dn}\n"
            )
            if verb == "add":
                self.members[group].append(person.dn)
            else:
                self.members[group].remove(person.dn)
        if changes:
            await self.modify("\n".join(changes))

    async def reset_groups(self) -> None:
        """Put every group back as seeded."""
        initial = initial_members()
        changes = [
            f"dn: cn={group},{GROUP_BASE}\nchangetype: modify\nreplace: member\n"
            + "".join(f"member: {member}\n" for member in members)
            for group, members in initial.items()
            if sorted(members) != sorted(self.members[group])
        ]
        if changes:
            await self.modify("\n".join(changes))
        self.members = initial


# --- OpenID Connect provider ----------------------------------------------------------------------

AUDIENCE = "cornflow-test-client"


class SigningKey:
    """An RSA private key and the JWK a provider publishes for it."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk: dict[str, Any] = {
            **RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True),
            "kid": kid,
            "use": "sig",
            "alg": "RS256",
        }


class IdentityProvider:
    """Publishes its keys on a free loopback port and signs tokens the way a provider would."""

    def __init__(self) -> None:
        self.key = SigningKey("test-key-1")
        # Signs well-formed tokens whose key the provider never published.
        self.stranger = SigningKey("test-key-2")
        self.requests = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/.well-known/jwks.json":
                    self.send_error(404)
                    return
                provider.requests += 1
                body = json.dumps({"keys": [provider.key.jwk]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def cornflow_settings(self, **overrides: Any) -> dict[str, Any]:
        """Settings overrides for AUTH_TYPE=0 trusting this provider."""
        values: dict[str, Any] = {
            "auth_type": 0,
            "oid_provider": self.url,
            "oid_provider_type": 2,
            "oid_expected_audience": AUDIENCE,
        }
        values.update(overrides)
        return values

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """An ID token's claims for `sub`; a None override drops the claim."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + timedelta(hours=1),
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(self, *, key: SigningKey | None = None, **overrides: Any) -> str:
        signer = key or self.key
        return jwt.encode(
            self.claims(**overrides),
            signer.private_key,
            algorithm="RS256",
            headers={"kid": signer.kid},
        )


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    missing = missing_tools()
    if missing:
        pytest.skip(
            f"OpenLDAP is not installed (no {', '.join(missing)}): "
            "apt-get install slapd ldap-utils to run the LDAP login tests"
        )
    server = Slapd(tmp_path_factory.mktemp("slapd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people() -> dict[str, Person]:
    """The directory's entries by a short key; `cn` is the login name."""
    return dict(PEOPLE)


@pytest.fixture
async def directory(slapd: Slapd) -> AsyncIterator[Slapd]:
    """The running directory; group memberships a test changes are put back afterwards."""
    yield slapd
    await slapd.reset_groups()


@pytest.fixture
async def ldap_client(
    directory: Slapd, build_client: Callable[..., Any]
) -> AsyncIterator[AsyncClient]:
    """A Cornflow app with AUTH_TYPE=2 against the test directory."""
    async with build_client(**directory.cornflow_settings()) as client:
        yield client


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
async def oid_client(
    identity_provider: IdentityProvider, build_client: Callable[..., Any]
) -> AsyncIterator[AsyncClient]:
    """A Cornflow app with AUTH_TYPE=0 trusting the local provider."""
    async with build_client(**identity_provider.cornflow_settings()) as client:
        yield client
