"""A local stand-in for Authorize.net's transaction reporting API (tests and make run; loopback
only): every request and answer is checked against Authorize.net's published AnetApiSchema.xsd."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

if TYPE_CHECKING:
    import xmlschema

# xmlschema is imported on the first request (make run's long-lived process starts this
# stand-in whether or not a job calls it).

NS = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
XSD = Path(__file__).parent / "specs" / "AnetApiSchema.xsd"
LOGIN, KEY = "apiLogin01", "Key0123456789abc"


@cache
def schema() -> xmlschema.XMLSchema:
    import xmlschema

    return xmlschema.XMLSchema(XSD)


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


@dataclass
class SettledBatch:
    batch_id: str
    settled_at: dt.datetime  # aware
    state: str = "settledSuccessfully"
    transactions: list[tuple[str, str, str]] = field(default_factory=list)  # id, status, amount


class AuthorizeNetStandIn:
    """Answers getSettledBatchList and getTransactionList from ``batches``.

    :param batches: the settled batches, or a function giving them as of a moment (make run's
        demo settles its batch every afternoon).
    :param root: the server's address when another server (make run's) routes to this one;
        None starts a server of its own on a free loopback port.
    """

    def __init__(
        self,
        batches: list[SettledBatch] | Callable[[dt.datetime], list[SettledBatch]],
        root: str | None = None,
    ) -> None:
        self._batches = batches
        self.invalid: list[str] = []  # requests or answers the XSD refused
        self.calls: list[tuple[str, dict[str, str]]] = []  # (request name, fields)
        self.fail_pages: dict[tuple[str, int], int] = {}  # (batch, page) -> 500s left
        self.server = None if root else LoopbackHttpServer(self.answer).start()
        self.root = root or self.server.url

    def batches(self, as_of: dt.datetime | None = None) -> list[SettledBatch]:
        if callable(self._batches):
            return self._batches(as_of or dt.datetime.now(dt.UTC))
        return self._batches

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    # --- the server side ---------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/xml/v1/request.api":
            return Answer(404)
        errors = [str(e.reason or e) for e in schema().iter_errors(request.body.decode())]
        if errors:
            self.invalid += errors
            return self._reply(self._error("getSettledBatchListResponse", "E00003", errors[0]))
        root = ET.fromstring(request.body)
        name = root.tag.split("}")[1]
        fields = {el.tag.split("}")[1]: (el.text or "") for el in root.iter() if len(el) == 0}
        self.calls.append((name, fields))
        if (fields.get("name"), fields.get("transactionKey")) != (LOGIN, KEY):
            return self._reply(
                self._error(
                    name.replace("Request", "Response"),
                    "E00007",
                    "User authentication failed due to invalid authentication values.",
                )
            )
        if name == "getSettledBatchListRequest":
            return self._reply(self._batch_list(fields))
        if name == "getTransactionListRequest":
            key = (fields["batchId"], int(fields["offset"]))
            if self.fail_pages.get(key, 0) > 0:
                self.fail_pages[key] -= 1
                return Answer(500, b"Internal Server Error")
            return self._reply(self._transactions(fields))
        return Answer(400)

    def _reply(self, root: ET.Element) -> Answer:
        body = ET.tostring(root, encoding="unicode")
        errors = [str(e.reason or e) for e in schema().iter_errors(body)]
        self.invalid += [f"answer: {e}" for e in errors]
        # Authorize.net starts its answers with a byte-order mark.
        return Answer(200, b"\xef\xbb\xbf" + body.encode(), {"Content-Type": "application/xml"})

    def _root(self, name: str, code: str = "Ok", msg: tuple[str, str] = ("I00001", "Successful.")):
        root = ET.Element(q(name))
        messages = ET.SubElement(root, q("messages"))
        ET.SubElement(messages, q("resultCode")).text = code
        message = ET.SubElement(messages, q("message"))
        ET.SubElement(message, q("code")).text = msg[0]
        ET.SubElement(message, q("text")).text = msg[1]
        return root

    def _error(self, name: str, code: str, text: str) -> ET.Element:
        return self._root(name, "Error", (code, text))

    def _batch_list(self, fields: dict[str, str]) -> ET.Element:
        first = dt.datetime.fromisoformat(fields["firstSettlementDate"].replace("Z", "+00:00"))
        last = dt.datetime.fromisoformat(fields["lastSettlementDate"].replace("Z", "+00:00"))
        root = self._root("getSettledBatchListResponse")
        listing = ET.SubElement(root, q("batchList"))
        for b in self.batches(last):
            if not first <= b.settled_at <= last:
                continue
            el = ET.SubElement(listing, q("batch"))
            ET.SubElement(el, q("batchId")).text = b.batch_id
            utc = b.settled_at.astimezone(dt.UTC)
            ET.SubElement(el, q("settlementTimeUTC")).text = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
            ET.SubElement(el, q("settlementTimeLocal")).text = b.settled_at.strftime(
                "%Y-%m-%dT%H:%M:%S"
            )
            ET.SubElement(el, q("settlementState")).text = b.state
            ET.SubElement(el, q("paymentMethod")).text = "creditCard"
        return root

    def _transactions(self, fields: dict[str, str]) -> ET.Element:
        batch = next(b for b in self.batches() if b.batch_id == fields["batchId"])
        limit, page = int(fields["limit"]), int(fields["offset"])
        rows = batch.transactions[(page - 1) * limit : page * limit]
        root = self._root("getTransactionListResponse")
        listing = ET.SubElement(root, q("transactions"))
        for trans_id, status, amount in rows:
            el = ET.SubElement(listing, q("transaction"))
            for tag, text in (
                ("transId", trans_id),
                ("submitTimeUTC", "2026-11-27T15:00:00Z"),
                ("submitTimeLocal", "2026-11-27T10:00:00"),
                ("transactionStatus", status),
                ("invoiceNumber", f"INV-{trans_id}"),
                ("accountType", "Visa"),
                ("accountNumber", "XXXX1111"),
                ("settleAmount", str(Decimal(amount))),
            ):
                ET.SubElement(el, q(tag)).text = text
        ET.SubElement(root, q("totalNumInResultSet")).text = str(len(batch.transactions))
        return root
