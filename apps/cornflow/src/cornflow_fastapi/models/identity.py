"""Users, roles and the permission tables shared with the Flask server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cornflow_fastapi.models.base import Base, TraceColumns


class User(TraceColumns, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    password: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    username: Mapped[str] = mapped_column(String(128), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    pwd_last_change: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (UniqueConstraint("username", name="c_unique_users_username"),)

    user_roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", lazy="raise", viewonly=True
    )


class Role(TraceColumns, Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)


class UserRole(TraceColumns, Base):
    __tablename__ = "user_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), nullable=False)

    __table_args__ = (
        UniqueConstraint("user_id", "role_id", name="c_unique_user_role_user_id_role_id"),
    )

    user: Mapped[User] = relationship(back_populates="user_roles", lazy="raise")
    role: Mapped[Role] = relationship(lazy="raise")


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)


class ApiView(Base):
    __tablename__ = "api_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    url_rule: Mapped[str] = mapped_column(String(128), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class PermissionView(TraceColumns, Base):
    __tablename__ = "permission_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), nullable=False)
    api_view_id: Mapped[int] = mapped_column(ForeignKey("api_view.id"), nullable=False)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), nullable=False)

    __table_args__ = (UniqueConstraint("action_id", "api_view_id", "role_id"),)

    action: Mapped[Action] = relationship(lazy="raise")
    api_view: Mapped[ApiView] = relationship(lazy="raise")
    role: Mapped[Role] = relationship(lazy="raise")
