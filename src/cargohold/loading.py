"""Finding the user's `App` from a reference such as `myapp:app` or `package.module:app`,
and the reference of an `App` object, for runner processes that import it anew."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType

from cargohold.app import App
from cargohold.errors import ConfigurationError


def load_app(reference: str) -> App:
    """The App named by `module:attribute`, or `/path/to/script.py:attribute`."""
    module_name, _, attribute = reference.rpartition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"app {reference!r} must be MODULE:ATTRIBUTE, e.g. myapp:app or myproject.tasks:app"
        )
    if module_name.endswith(".py"):
        module = _import_script(module_name)
    else:
        module = _import_module(module_name, reference)
    try:
        app = getattr(module, attribute)
    except AttributeError:
        raise ConfigurationError(
            f"module {module_name!r} has no attribute {attribute!r} (app {reference!r})"
        ) from None
    if not isinstance(app, App):
        raise ConfigurationError(f"{reference!r} is a {type(app).__name__}, not a cargohold App")
    return app


def _import_module(module_name: str, reference: str) -> ModuleType:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ConfigurationError(
                f"cannot import module {module_name!r} for app {reference!r}: it is not in "
                f"the current folder ({os.getcwd()}) nor installed"
            ) from None
        raise


def _import_script(path: str) -> ModuleType:
    """A script run as `python script.py` is `__main__` in its own process; elsewhere it is
    imported from its file (its top-level code runs again, as with multiprocessing)."""
    spec = importlib.util.spec_from_file_location("__cargohold_main__", path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def app_reference(app: App) -> str:
    """`module:attribute` under which `app` can be imported again (by a spawned runner)."""
    found = None
    for name, module in list(sys.modules.items()):
        for attribute, value in list(vars(module).items()) if module is not None else ():
            if value is app and not attribute.startswith("_"):
                if name not in ("__main__", "__mp_main__"):
                    return f"{name}:{attribute}"
                script = getattr(module, "__file__", None)
                if script:
                    found = found or f"{os.path.abspath(script)}:{attribute}"
    if found is None:
        raise ConfigurationError(
            "cannot find this App as an attribute of an importable module or script; define "
            "it at module level (app = App(...)) so that runner processes can import it"
        )
    return found
