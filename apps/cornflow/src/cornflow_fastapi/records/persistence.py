"""Flushing a data record, with the Flask server's answers to what the database refuses."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData


async def flush_or_refuse(session: AsyncSession, action: str, subject: str) -> None:
    """Flush; a value the database refuses is the client's 400 (`action`: saving, updating...).

    `subject` is the row as Cornflow's models print it (`<Instance id>`), worked out before the
    flush: a failed flush expires the row.
    """
    try:
        await session.flush()
    except IntegrityError:
        raise InvalidData(f"Integrity error on {action} with data {subject}") from None
    except (OperationalError, InterfaceError):
        raise  # the database failed, not the request
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        # e.g. a name longer than its column on PostgreSQL (asyncpg reports it as a bare
        # DBAPIError, not a DataError)
        raise InvalidData(f"Unknown database error on {action} with data {subject}") from None
