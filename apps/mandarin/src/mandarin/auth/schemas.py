"""Request and response bodies of /api/auth."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from mandarin.fields import StoredText, TimezoneName
from mandarin.models import SchedulerKind

# Bounds the Argon2 work one request can ask for.
PASSWORD_MAX_LENGTH = 1024

NewPassword = Annotated[StoredText, StringConstraints(min_length=8, max_length=PASSWORD_MAX_LENGTH)]
DeviceLabel = Annotated[StoredText, StringConstraints(min_length=1, max_length=200)]
RefreshTokenText = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
AuthMethod = Literal["token", "supabase", "legacy_cookie"]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: NewPassword
    display_name: Annotated[StoredText, StringConstraints(max_length=100)] | None = None
    timezone: TimezoneName = "UTC"
    device_label: DeviceLabel | None = None


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
    device_label: DeviceLabel | None = None


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: RefreshTokenText


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: RefreshTokenText | None = Field(
        default=None, description="This device's refresh token; its whole family is revoked"
    )
    all_devices: bool = Field(
        default=False, description="Revoke every session and every access token of the account"
    )

    @model_validator(mode="after")
    def _names_a_session(self) -> LogoutRequest:
        if self.refresh_token is None and not self.all_devices:
            raise ValueError("give the refresh_token to revoke, or all_devices: true")
        return self


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class AccountDetail(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    display_name: str | None
    timezone: str
    day_start_hour: int
    new_per_day: int
    reviews_per_day: int
    scheduler: SchedulerKind
    is_admin: bool
    created_at: datetime


class CurrentAccount(AccountDetail):
    authenticated_with: AuthMethod = Field(
        description="The credential of this request; legacy_cookie clients should exchange it"
    )
