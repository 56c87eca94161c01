from sqlalchemy import text
from svckit.db import Database


async def test_database_is_at_cornflow_head(database: Database) -> None:
    async with database.sessionmaker() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == "4729cd156460"
