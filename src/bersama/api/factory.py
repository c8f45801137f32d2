"""`uvicorn --factory bersama.api.factory:app`: an app built from the environment's Settings."""

from __future__ import annotations

from fastapi import FastAPI

from bersama.api.app import create_app
from bersama.config import Settings
from bersama.gcpause import tune_for_serving


def app() -> FastAPI:
    built = create_app(Settings())
    tune_for_serving()
    return built
