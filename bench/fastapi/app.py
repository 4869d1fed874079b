"""The invoices example written with FastAPI: the reference of the benchmarks.

Same routes, same types, same callback (as FastAPI documents callbacks: a
router whose routes are passed as ``callbacks``). Run by the bench crate with
one uvicorn worker.

It does the same work per request as the Rust servers: when the invoice has
a ``callback_url``, it builds the ``invoice_notification`` delivery (the URL
``{callback_url}/invoices/{id}`` with the id percent-encoded as a path
segment, the event serialized) and queues it into an outbox that hands out
ids and keeps nothing, as the harness's ``DiscardStore`` does. The last
delivery is kept so that the harness can check it once
(``GET /__bench/last-delivery``, left out of the document).
"""

import itertools
from typing import NamedTuple, Optional
from urllib.parse import quote

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, HttpUrl

app = FastAPI(
    title="Invoices",
    version="0.1.0",
    description="Create invoices and receive notifications of their events at your callback URL.",
)


class Invoice(BaseModel):
    id: str
    title: Optional[str] = None
    customer: str
    total: float


class InvoiceEvent(BaseModel):
    description: str
    paid: bool


class InvoiceEventReceived(BaseModel):
    ok: bool


class InvoiceReceived(BaseModel):
    msg: str


class Delivery(NamedTuple):
    callback: str
    method: str
    url: str
    body: str


class DiscardOutbox:
    """Hands out ids and keeps nothing but the last delivery."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.last: Optional[Delivery] = None

    async def enqueue(self, delivery: Delivery) -> int:
        self.last = delivery
        return next(self._ids)


outbox = DiscardOutbox()

# A path segment keeps the unreserved characters (always safe for quote)
# and these sub-delimiters, as the framework's encoding does.
PATH_SEGMENT_SAFE = "!$&'()*+,=:@"

invoice_callbacks = APIRouter()


@invoice_callbacks.post(
    "{$request.query.callback_url}/invoices/{$request.body#/id}",
    response_model=InvoiceEventReceived,
)
def invoice_notification(body: InvoiceEvent):
    """Notify the client of an invoice event."""


@app.post("/invoices/", callbacks=invoice_callbacks.routes, tags=["invoices"])
async def create_invoice(invoice: Invoice, callback_url: Optional[HttpUrl] = None) -> InvoiceReceived:
    """Create an invoice."""
    if callback_url is not None:
        event = InvoiceEvent(description="Invoice created", paid=False)
        await outbox.enqueue(
            Delivery(
                callback="invoice_callbacks::invoice_notification",
                method="POST",
                url=f"{callback_url}/invoices/{quote(invoice.id, safe=PATH_SEGMENT_SAFE)}",
                body=event.model_dump_json(),
            )
        )
    return InvoiceReceived(msg="Invoice received")


@app.get("/__bench/last-delivery", include_in_schema=False)
async def last_delivery() -> Optional[dict]:
    """The last delivery queued, for the harness's check."""
    return outbox.last._asdict() if outbox.last else None
