"""Job output tables escape every value."""

from __future__ import annotations

from job_library.output import html_table


def test_cells_and_headers_are_escaped_and_none_is_blank():
    table = html_table(("Name", "<b>"), [("<script>x</script>", None), (3, "a&b")])
    assert table == (
        "<table><tr><th>Name</th><th>&lt;b&gt;</th></tr>"
        "<tr><td>&lt;script&gt;x&lt;/script&gt;</td><td></td></tr>"
        "<tr><td>3</td><td>a&amp;b</td></tr></table>"
    )


def test_no_rows_no_table():
    assert html_table(("A",), []) == ""
