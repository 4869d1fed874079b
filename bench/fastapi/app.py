"""The invoices example written with FastAPI: the reference of the benchmarks.

Same routes, same types, same callback (as FastAPI documents callbacks: a
router whose routes are passed as ``callbacks``). Run by the bench crate with
one uvicorn worker.
"""

from typing import Optional

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
    return InvoiceReceived(msg="Invoice received")
