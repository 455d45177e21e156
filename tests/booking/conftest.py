import pytest
import time_machine


@pytest.fixture(autouse=True)
def _frozen_clock(request: pytest.FixtureRequest):
    """Modules that define `NOW` run with the clock stopped there."""
    now = getattr(request.module, "NOW", None)
    if now is None:
        yield
        return
    with time_machine.travel(now, tick=False):
        yield
