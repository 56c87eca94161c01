"""LDAP login (AUTH_TYPE=2) with ldap3, run in a worker thread since ldap3 blocks."""

from __future__ import annotations

import anyio
from ldap3 import ALL, Connection, Server
from ldap3.utils.conv import escape_filter_chars

from cornflow_fastapi.config import LdapSettings


class LdapDirectory:
    """The directory as Cornflow reads it: bind, find the user's DN, email and groups."""

    def __init__(self, settings: LdapSettings, service_username: str) -> None:
        self.settings = settings
        self.service_username = service_username

    def _bound(self) -> Connection:
        server = Server(self.settings.host, get_info=ALL)
        return Connection(
            server,
            self.settings.bind_dn,
            self.settings.bind_password,
            auto_bind=True,
        )

    def _user_dn(self, connection: Connection, username: str) -> str | None:
        base = (
            self.settings.service_base
            if username == self.service_username
            else self.settings.user_base
        )
        # The username is escaped: an unescaped `*` or `)` would let a caller rewrite the filter.
        search_filter = f"(&({self.settings.username_attribute}={escape_filter_chars(username)}))"
        connection.search(base, search_filter=search_filter, attributes=["*"])
        response = connection.response or []
        try:
            return str(response[0]["dn"])
        except (KeyError, IndexError, TypeError):
            return None

    def _authenticate(self, username: str, password: str) -> bool:
        if not password:
            # An empty password is an anonymous ("unauthenticated") bind, which succeeds.
            return False
        admin = self._bound()
        try:
            dn = self._user_dn(admin, username)
        finally:
            admin.unbind()
        if dn is None:
            return False
        user_connection = Connection(self.settings.host, user=dn, password=password)
        try:
            return bool(user_connection.bind())
        finally:
            user_connection.unbind()

    def _email(self, username: str) -> str | None:
        connection = self._bound()
        try:
            dn = self._user_dn(connection, username)
            if dn is None:
                return None
            attribute = self.settings.email_attribute
            connection.search(
                dn, f"(objectclass={self.settings.user_object_class})", attributes=[attribute]
            )
            if not connection.entries:
                return None
            entry = connection.entries[0]
            if attribute not in entry:
                return None
            return str(entry[attribute][0])
        finally:
            connection.unbind()

    def _roles(self, username: str) -> list[int]:
        connection = self._bound()
        try:
            dn = self._user_dn(connection, username)
            if dn is None:
                return []
            search_filter = (
                f"(&(objectClass={self.settings.group_object_class})"
                f"(member={escape_filter_chars(dn)}))"
            )
            connection.search(
                self.settings.group_base, search_filter=search_filter, attributes=["cn"]
            )
            groups = {str(entry.cn[0]) for entry in connection.entries}
        finally:
            connection.unbind()
        return sorted(
            role for role, group in self.settings.group_to_role.items() if group in groups
        )

    async def authenticate(self, username: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._authenticate, username, password)

    async def email(self, username: str) -> str | None:
        return await anyio.to_thread.run_sync(self._email, username)

    async def roles(self, username: str) -> list[int]:
        return await anyio.to_thread.run_sync(self._roles, username)
