"""Bodies of /login/, /signup/ and /token/."""

from __future__ import annotations

from pydantic import BaseModel

from cornflow_fastapi.request_parsing import Email, OptStr, RequestSchema, Str


class LoginRequest(RequestSchema):
    username: Str
    password: Str


class OpenIdLoginRequest(RequestSchema):
    username: OptStr = None
    password: OptStr = None


class SignupRequest(RequestSchema):
    username: Str
    email: Email
    password: Str
    first_name: OptStr = None
    last_name: OptStr = None


class DatabaseLoginResponse(BaseModel):
    change_password: bool
    token: str
    id: int


class TokenResponse(BaseModel):
    token: str
    id: int


class TokenCheckResponse(BaseModel):
    valid: int
