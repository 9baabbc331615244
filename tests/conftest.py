from tests.processes import workers

__all__ = ["workers"]
