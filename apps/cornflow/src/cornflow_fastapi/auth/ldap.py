"""LDAP login (AUTH_TYPE=2) with ldap3, run in a worker thread since ldap3 blocks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from ldap3 import NONE, Connection, Server
from ldap3.core.exceptions import LDAPBindError
from ldap3.utils.conv import escape_filter_chars

from cornflow_fastapi.config import LdapSettings

logger = logging.getLogger(__name__)

# Without timeouts a directory that accepts connections but never answers would hold a worker
# thread forever; enough of those and every thread-offloaded call of the app waits.
CONNECT_TIMEOUT_SECONDS = 5
# ldap3 packs this into SO_RCVTIMEO as a C long: it must be an int.
RECEIVE_TIMEOUT_SECONDS = 10


class DirectoryRefusal(Exception):
    """The directory does not let this username and password in."""


class NotInDirectory(DirectoryRefusal):
    """No entry (or more than one) answers to the username."""


class BindRefused(DirectoryRefusal):
    """The entry exists but the password does not bind."""


@dataclass(frozen=True)
class DirectoryUser:
    """What a login learns about the user from the directory."""

    username: str
    dn: str
    email: str | None
    role_ids: list[int]


def _values(attributes: Mapping[str, Any], name: str) -> list[str]:
    # Attribute names are case-insensitive in LDAP; without a schema every value comes as a list.
    for key, value in attributes.items():
        if key.lower() == name.lower():
            items = value if isinstance(value, list | tuple) else [value]
            return [str(item) for item in items]
    return []


def _close(connection: Connection) -> None:
    try:
        connection.unbind()
    finally:
        # After a failed connect ldap3 keeps the socket it opened and never closes it.
        if connection.socket is not None:
            connection.socket.close()


def _entries(connection: Connection) -> list[dict[str, Any]]:
    # Referrals come back beside the entries and carry no attributes.
    return [item for item in connection.response or [] if item.get("type") == "searchResEntry"]


class LdapDirectory:
    """The directory as Cornflow reads it: find the user, bind as them, read email and groups."""

    def __init__(self, settings: LdapSettings, service_username: str) -> None:
        self.settings = settings
        self.service_username = service_username

    def _server(self) -> Server:
        # No schema download: nothing here needs it and it costs round trips on every login.
        return Server(self.settings.host, get_info=NONE, connect_timeout=CONNECT_TIMEOUT_SECONDS)

    def _connection(self, server: Server, user: str, password: str) -> Connection:
        return Connection(server, user, password, receive_timeout=RECEIVE_TIMEOUT_SECONDS)

    def _find_entry(self, connection: Connection, username: str) -> dict[str, Any]:
        settings = self.settings
        base = settings.service_base if username == self.service_username else settings.user_base
        # Escaped: an unescaped `*` or `)` would let the caller rewrite the filter.
        search_filter = f"(&({settings.username_attribute}={escape_filter_chars(username)}))"
        connection.search(
            base,
            search_filter,
            attributes=[settings.username_attribute, settings.email_attribute, "objectClass"],
        )
        entries = _entries(connection)
        if len(entries) != 1:
            if entries:
                # Which one the password belongs to is anybody's guess: refuse rather than pick.
                logger.warning("%d directory entries answer to %r", len(entries), username)
            raise NotInDirectory()
        return entries[0]

    def _group_names(self, connection: Connection, dn: str) -> set[str]:
        search_filter = (
            f"(&(objectClass={self.settings.group_object_class})(member={escape_filter_chars(dn)}))"
        )
        connection.search(self.settings.group_base, search_filter, attributes=["cn"])
        names = set()
        for entry in _entries(connection):
            # The first cn names the group, as the Flask server reads it.
            values = _values(entry.get("attributes", {}), "cn")
            if values:
                names.add(values[0])
        return names

    def _login(self, username: str, password: str) -> DirectoryUser:
        if not password:
            # An empty password makes a simple bind "unauthenticated", which servers accept.
            raise BindRefused()
        server = self._server()
        reader = self._connection(server, self.settings.bind_dn, self.settings.bind_password)
        try:
            # A directory that is down or refuses LDAP_BIND_DN is a server fault (500), not
            # the caller's: ldap3 raises for the former, and so do we for the latter.
            if not reader.bind():
                raise LDAPBindError(f"LDAP_BIND_DN cannot bind: {reader.result}")
            entry = self._find_entry(reader, username)
            dn = str(entry["dn"])
            attributes = entry.get("attributes", {})
            # The directory matches names case-insensitively; its own spelling keeps one users
            # row per person however they type their name.
            spelled = [
                value
                for value in _values(attributes, self.settings.username_attribute)
                if value.casefold() == username.casefold()
            ]
            if not spelled:
                raise NotInDirectory()
            user = self._connection(server, dn, password)
            try:
                if not user.bind():
                    raise BindRefused()
            finally:
                _close(user)
            classes = {value.lower() for value in _values(attributes, "objectClass")}
            emails = _values(attributes, self.settings.email_attribute)
            is_user = self.settings.user_object_class.lower() in classes
            groups = self._group_names(reader, dn)
        finally:
            _close(reader)
        return DirectoryUser(
            username=spelled[0],
            dn=dn,
            email=emails[0] if emails and is_user else None,
            role_ids=sorted(
                role for role, group in self.settings.group_to_role.items() if group in groups
            ),
        )

    async def login(self, username: str, password: str) -> DirectoryUser:
        """Bind as the user and read them; raises a DirectoryRefusal when they may not log in."""
        return await anyio.to_thread.run_sync(self._login, username, password)
