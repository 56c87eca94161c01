"""Request body limits: on the bytes received, and on gzip bodies once inflated."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The app renders refusals in its own error format (Cornflow's {"error": ...}, problem+json).
Reject = Callable[[int, str], Response]

BODY_TOO_LARGE_MESSAGE = "Request body too large"
INVALID_GZIP_MESSAGE = "Request body is not valid gzip data"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def _declared_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class _BodyTooLarge(Exception):
    """Raised from receive() once the body passes the limit."""


class BodySizeLimitMiddleware:
    """Refuse request bodies over max_bytes, declared or streamed, with reject(413, ...)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, reject: Reject) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.reject(413, BODY_TOO_LARGE_MESSAGE)(scope, receive, send)
            return

        received = 0
        exceeded = False
        response_started = False
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def send_unless_rejected(message: Message) -> None:
            nonlocal response_started, rejected
            if exceeded and not response_started:
                # The app turned the failed read into a response of its own (FastAPI makes
                # it a 400 "error parsing the body"); the client gets the 413 instead.
                if not rejected:
                    rejected = True
                    await self.reject(413, BODY_TOO_LARGE_MESSAGE)(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, send_unless_rejected)
        except _BodyTooLarge:
            if response_started:
                raise
            if not rejected:
                await self.reject(413, BODY_TOO_LARGE_MESSAGE)(scope, receive, send)


class _InvalidGzip(Exception):
    pass


class _InflatedTooLarge(Exception):
    pass


class _Inflater:
    """Inflate gzip data chunk by chunk, refusing to hold more than max_bytes of output."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.output = bytearray()
        self._decompressor = self._new_member()
        self._seen_input = False

    @staticmethod
    def _new_member() -> zlib._Decompress:
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        while data:
            if self._decompressor.eof:
                # Concatenated gzip members form one stream (RFC 1952 §2.2); trailing zero
                # padding is tolerated, as Python's gzip module does.
                data = data.lstrip(b"\x00")
                if not data:
                    return
                self._decompressor = self._new_member()
            self._seen_input = True
            room = self.max_bytes - len(self.output) + 1
            try:
                self.output += self._decompressor.decompress(data, room)
            except zlib.error as exc:
                raise _InvalidGzip from exc
            if len(self.output) > self.max_bytes:
                raise _InflatedTooLarge
            data = self._decompressor.unconsumed_tail or self._decompressor.unused_data

    def finish(self) -> bytes:
        if self._seen_input and not self._decompressor.eof:
            raise _InvalidGzip
        return bytes(self.output)


# Headers that describe the body as sent; the app gets a plain body of known length instead.
_FRAMING_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


class GzipRequestMiddleware:
    """Inflate the gzip bodies should_inflate picks; 413 past max_inflated_bytes, 400 if corrupt."""

    # A gzip bomb costs at most max_inflated_bytes of memory and the CPU to produce them. Other
    # encodings pass through as sent: cornflow-client labels plain JSON `br`, and upstream
    # Cornflow only ever decoded gzip.

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_inflated_bytes: int,
        should_inflate: Callable[[Scope], bool],
        reject: Reject,
    ) -> None:
        self.app = app
        self.max_inflated_bytes = max_inflated_bytes
        self.should_inflate = should_inflate
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._is_gzip(scope) or not self.should_inflate(scope):
            await self.app(scope, receive, send)
            return

        inflater = _Inflater(self.max_inflated_bytes)
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    await self.app(scope, _replay_disconnect(), send)
                    return
                inflater.feed(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = inflater.finish()
        except _InflatedTooLarge:
            await self.reject(413, BODY_TOO_LARGE_MESSAGE)(scope, receive, send)
            return
        except _InvalidGzip:
            await self.reject(400, INVALID_GZIP_MESSAGE)(scope, receive, send)
            return

        # Edited in place: outer middleware read the route the router stores in this dict.
        scope["headers"] = [
            (key, value) for key, value in scope["headers"] if key.lower() not in _FRAMING_HEADERS
        ] + [(b"content-length", str(len(body)).encode("latin-1"))]
        await self.app(scope, _replay_body(body, receive), send)

    @staticmethod
    def _is_gzip(scope: Scope) -> bool:
        encoding = _header(scope, b"content-encoding")
        return encoding is not None and encoding.strip().lower() == b"gzip"


def _replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, the only thing left to hear about is the client leaving.
        return await receive()

    return replay


def _replay_disconnect() -> Receive:
    async def disconnected() -> Message:
        return {"type": "http.disconnect"}

    return disconnected
