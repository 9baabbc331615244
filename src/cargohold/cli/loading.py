"""Finding the user's `App` from a reference such as `myapp:app` or `package.module:app`."""

from __future__ import annotations

import importlib
import os
import sys

from cargohold.app import App
from cargohold.errors import ConfigurationError


def load_app(reference: str) -> App:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"app {reference!r} must be MODULE:ATTRIBUTE, e.g. myapp:app or myproject.tasks:app"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ConfigurationError(
                f"cannot import module {module_name!r} for app {reference!r}: it is not in "
                f"the current folder ({os.getcwd()}) nor installed"
            ) from None
        raise
    try:
        app = getattr(module, attribute)
    except AttributeError:
        raise ConfigurationError(
            f"module {module_name!r} has no attribute {attribute!r} (app {reference!r})"
        ) from None
    if not isinstance(app, App):
        raise ConfigurationError(f"{reference!r} is a {type(app).__name__}, not a cargohold App")
    return app
