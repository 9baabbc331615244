"""Each marked line must be reported by mypy (tests/test_quality.py counts them)."""

from cargohold import App

app = App("sqlite:///typed.db")


@app.task
def render_book(order_id: str, pages: int = 12) -> dict[str, str]:
    return {"pdf": order_id}


render_book.enqueue(42)  # error: wrong argument type
render_book.enqueue("ord_1", pagez=3)  # error: unknown keyword
render_book.options(key="k").enqueue()  # error: missing argument
