"""Authorize.net's transaction reporting over its XML API (AnetApiSchema.xsd)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from job_library.http_client import ApiClient, ApiError

NS = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
PATH = "xml/v1/request.api"
PAGE_LIMIT = 1000  # the most a page may hold (Paging.limit)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    settled_at: dt.datetime
    state: str


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    status: str
    amount: Decimal
    invoice_number: str | None


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, _q(name))
    if text is not None:
        child.text = text
    return child


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class TransactionReporting:
    """The two reporting calls the cashouts need, on an ApiClient at Authorize.net's host.

    :param client: the client (base URL https://api.authorize.net or the sandbox's).
    :param login: the API login id (the Airflow connection's login).
    :param key: the transaction key (the connection's password).
    :param page_limit: transactions per page (1 to 1000).
    """

    def __init__(
        self, client: ApiClient, login: str, key: str, page_limit: int = PAGE_LIMIT
    ) -> None:
        self.client, self.login, self.key = client, login, key
        self.page_limit = max(1, min(PAGE_LIMIT, page_limit))

    def _request(self, name: str) -> ET.Element:
        root = ET.Element(_q(name))
        auth = _add(root, "merchantAuthentication")
        _add(auth, "name", self.login)
        _add(auth, "transactionKey", self.key)
        return root

    def _call(self, root: ET.Element) -> ET.Element:
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        name = root.tag.split("}")[1]
        response = self.client.request(
            "POST", PATH, content=body, headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        url = str(response.request.url)
        if not response.is_success:
            raise ApiError("POST", url, response.status_code, f"{name} was refused")
        try:
            # Authorize.net starts its answers with a byte-order mark.
            answer = ET.fromstring(response.content.decode("utf-8-sig"))
        except (ET.ParseError, UnicodeDecodeError) as exc:
            raise ApiError("POST", url, response.status_code, f"{name}: not XML ({exc})") from None
        messages = answer.find(_q("messages"))
        code = messages.findtext(_q("resultCode")) if messages is not None else None
        if code != "Ok":
            texts = (
                [
                    f"{m.findtext(_q('code'))} {m.findtext(_q('text'))}"
                    for m in messages.findall(_q("message"))
                ]
                if messages is not None
                else []
            )
            raise ApiError(
                "POST", url, response.status_code, f"{name}: " + ("; ".join(texts) or "no result")
            )
        return answer

    def settled_batches(self, first: dt.datetime, last: dt.datetime) -> list[Batch]:
        """The batches settled between ``first`` and ``last`` (at most 31 days apart)."""
        root = self._request("getSettledBatchListRequest")
        _add(root, "includeStatistics", "false")
        _add(root, "firstSettlementDate", _utc(first))
        _add(root, "lastSettlementDate", _utc(last))
        answer = self._call(root)
        batches = []
        for b in answer.iter(_q("batch")):
            settled = b.findtext(_q("settlementTimeUTC"))
            batches.append(
                Batch(
                    batch_id=b.findtext(_q("batchId")) or "",
                    settled_at=_parse_time(settled) if settled else last,
                    state=b.findtext(_q("settlementState")) or "",
                )
            )
        return batches

    def transactions(self, batch_id: str) -> Iterator[list[Transaction]]:
        """The transactions of a batch, page by page (``offset`` counts pages from 1)."""
        limit = self.page_limit
        page = 1
        while True:
            root = self._request("getTransactionListRequest")
            _add(root, "batchId", batch_id)
            sorting = _add(root, "sorting")
            _add(sorting, "orderBy", "submitTimeUTC")
            _add(sorting, "orderDescending", "false")
            paging = _add(root, "paging")
            _add(paging, "limit", str(limit))
            _add(paging, "offset", str(page))
            answer = self._call(root)
            found = [
                Transaction(
                    transaction_id=t.findtext(_q("transId")) or "",
                    status=t.findtext(_q("transactionStatus")) or "",
                    amount=Decimal(t.findtext(_q("settleAmount")) or "0"),
                    invoice_number=t.findtext(_q("invoiceNumber")),
                )
                for t in answer.iter(_q("transaction"))
            ]
            yield found
            total = answer.findtext(_q("totalNumInResultSet"))
            if len(found) < limit or (total is not None and page * limit >= int(total)):
                return
            page += 1
