"""Tests for commerce_events._settings: the default policy and the async bridge."""

from __future__ import annotations

import pytest

from commerce_events import OrderPlaced, bridges, set_async_bridge, set_default_on_error
from commerce_events._settings import get_async_bridge, library_on_error


class TestSetAsyncBridge:
    def test_a_name_is_refused_with_a_hint(self):
        with pytest.raises(TypeError, match=r"commerce_events\.bridges\.auto"):
            set_async_bridge("auto")  # type: ignore[arg-type]
        assert get_async_bridge() is None

    def test_a_coroutine_function_is_refused(self):
        async def bridge(fn, *args, **kwargs):
            return None

        with pytest.raises(TypeError, match="coroutine function"):
            set_async_bridge(bridge)

    def test_a_bridge_whose_package_is_missing(self):
        check = bridges._requires("no_such_package_for_tests", "nothing")
        with pytest.raises(ImportError, match="no_such_package_for_tests"):
            check()

    @pytest.mark.parametrize("bridge", [bridges.asgiref, bridges.anyio, bridges.auto])
    def test_installed_bridges_are_accepted(self, bridge):
        set_async_bridge(bridge)
        assert bridge is get_async_bridge()
        set_async_bridge(None)
        assert get_async_bridge() is None


class TestDefaultOnError:
    def test_library_default(self):
        set_default_on_error("log")
        assert "log" == library_on_error()

    def test_refuses_none_and_junk(self):
        with pytest.raises(ValueError, match="None"):
            set_default_on_error(None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="on_error"):
            set_default_on_error("ignore")  # type: ignore[arg-type]

    def test_per_event(self):
        from commerce_events import signal

        set_default_on_error("log", OrderPlaced)
        assert "log" == signal("order_placed").on_error
