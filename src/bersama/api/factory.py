"""`uvicorn --factory bersama.api.factory:app`: an app built from the environment's Settings."""

from __future__ import annotations

from fastapi import FastAPI

from bersama.api.app import create_app
from bersama.config import Settings


def app() -> FastAPI:
    return create_app(Settings())
