"""POST /api/v1/detect/message and /api/v1/detect/url: batch scoring for analysts.

Why batches of up to 1,000: an analyst's upload is scored in one round trip,
and vectorising many items at once is much faster than one by one; more than
1,000 items is refused (422 naming `items`) rather than silently truncated.
A bad item (empty, over 64 KB, NUL bytes, a URL over 8,192 characters) fails
the request with a problem naming `items[i]`, so nothing is half-answered.
Scoring is CPU-bound, so it runs in the thread pool, off the event loop.
Phone numbers written without a country code are read as numbers of the
caller's agency's country (or the request's `country`), so they come back
normalised to E.164 like every other observable.
With `"queue": true`, messages in the likely or review band are queued for a
human decision (`bersama.store.review`); the result then carries `review_id`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bersama.api.deps import EngineDep, ReaderDep, SettingsDep, StrictBody
from bersama.api.problems import problems
from bersama.api.security import require_agency_analyst
from bersama.detection.detector import Detector, configured_detector
from bersama.store import review
from bersama.store.identities import agency_country

router = APIRouter(prefix="/api/v1/detect", tags=["detection"],
                   responses=problems(400, 401, 413, 429))

MAX_ITEMS = 1000


class DetectRequest(StrictBody):
    items: list[str] = Field(min_length=1, max_length=MAX_ITEMS,
                             description="messages or URLs, at most 1,000")


class MessageRequest(DetectRequest):
    queue: bool = Field(default=False, description="queue likely/review messages for review "
                        "by the caller's agency (analysts only)")
    source: str = Field(default="api", max_length=200)
    country: str | None = Field(default=None, min_length=2, max_length=2,
                                description="default country (ISO 3166-1 alpha-2) of phone "
                                "numbers written without a country code; default: the "
                                "caller's agency's")


class DetectResponse(BaseModel):
    model_version: str
    results: list[dict[str, Any]]


def detector_of(settings: SettingsDep) -> Detector:
    return configured_detector(settings)


DetectorDep = Annotated[Detector, Depends(detector_of)]


@router.post("/message", response_model=DetectResponse, responses=problems(403))
async def detect_message(body: MessageRequest, reader: ReaderDep, det: DetectorDep,
                         engine: EngineDep) -> DetectResponse:
    if body.queue:
        require_agency_analyst(reader, "queue messages", field="queue")

    def score() -> list[Any]:  # in the thread pool: the country lookup is a query
        country = body.country
        if country is None and reader.agency is not None:
            with engine.connect() as conn:
                country = agency_country(conn, reader.agency)
        return det.messages(body.items, country=country)

    scored = await run_in_threadpool(score)
    results = [r.as_dict() for r in scored]
    if body.queue:
        with engine.begin() as conn:
            for text, r in zip(body.items, results, strict=True):
                r["review_id"] = review.enqueue(conn, agency=str(reader.agency), text=text,
                                                result=r, source=body.source)
    return DetectResponse(model_version=det.version, results=results)


@router.post("/url", response_model=DetectResponse)
async def detect_url(body: DetectRequest, reader: ReaderDep, det: DetectorDep) -> DetectResponse:
    results = await run_in_threadpool(det.urls, body.items)
    return DetectResponse(model_version=det.version, results=[r.as_dict() for r in results])


