"""Checked by mypy in tests/test_quality.py: task signatures survive registration."""

from typing import assert_type

from cargohold import App, Job

app = App("sqlite:///typed.db")


@app.task(retries=2)
def render_book(order_id: str, pages: int = 12) -> dict[str, str]:
    return {"pdf": order_id}


@app.task
def plain(n: int) -> int:
    return n


assert_type(render_book("ord_1"), dict[str, str])
assert_type(render_book.enqueue("ord_1", pages=3), Job[dict[str, str]])
assert_type(render_book.options(key="evt_1", delay="5m").enqueue("ord_1"), Job[dict[str, str]])
assert_type(plain.enqueue(3).result, int | None)
assert_type(app.enqueue_many([plain.call(1), plain.call(2)]), list[Job[int]])
