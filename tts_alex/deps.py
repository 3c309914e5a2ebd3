"""Dependency aliases: handlers receive the lifespan's objects, tests swap settings via create_app."""

from typing import Annotated

from fastapi import Depends, Request

from .delivery import Deliverer
from .engine import Engine
from .generation import GenerationQueue
from .outputs import OutputArchive
from .settings import Settings
from .speech import Studio
from .store import CustomVoiceStore


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_store(request: Request) -> CustomVoiceStore:
    return request.app.state.store


def get_studio(request: Request) -> Studio:
    return request.app.state.studio


def get_queue(request: Request) -> GenerationQueue:
    return request.app.state.queue


def get_outputs(request: Request) -> OutputArchive:
    return request.app.state.outputs


def get_deliverer(request: Request) -> Deliverer:
    return request.app.state.deliverer


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
StoreDep = Annotated[CustomVoiceStore, Depends(get_store)]
StudioDep = Annotated[Studio, Depends(get_studio)]
QueueDep = Annotated[GenerationQueue, Depends(get_queue)]
OutputsDep = Annotated[OutputArchive, Depends(get_outputs)]
DelivererDep = Annotated[Deliverer, Depends(get_deliverer)]
