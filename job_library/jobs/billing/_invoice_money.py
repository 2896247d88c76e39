"""What an invoice is owed and was paid, summed in SQL for many invoices at once."""

from __future__ import annotations

# One row per invoice of ``{invoices}`` (a FROM item aliased i): its total (the sum of its
# lines), what valid payments' active allocations paid on it, what was refunded of them and
# its active deferrals (count and amount). Amounts are rounded to cents: SQLite keeps
# Numeric columns as binary floats, and 10.10 + 20.20 must equal 30.30 there too.
INVOICE_MONEY = """
SELECT i.invoice_id,
  ROUND(COALESCE((SELECT SUM(l.amount) FROM invoice_lines l
                  WHERE l.invoice_id = i.invoice_id), 0), 2) AS total,
  ROUND(COALESCE((SELECT SUM(a.amount) FROM allocations a
                  JOIN payments p ON p.payment_id = a.payment_id
                  WHERE a.invoice_id = i.invoice_id AND a.active = TRUE AND p.valid = TRUE),
                 0), 2) AS paid,
  ROUND(COALESCE((SELECT SUM(r.amount) FROM refunds r
                  JOIN payments p ON p.payment_id = r.payment_id
                  WHERE r.invoice_id = i.invoice_id AND p.valid = TRUE), 0), 2) AS refunded,
  (SELECT COUNT(*) FROM deferrals f
   WHERE f.invoice_id = i.invoice_id AND f.active = TRUE) AS deferrals,
  ROUND(COALESCE((SELECT SUM(f.amount) FROM deferrals f
                  WHERE f.invoice_id = i.invoice_id AND f.active = TRUE), 0), 2) AS deferred
FROM {invoices}
"""
