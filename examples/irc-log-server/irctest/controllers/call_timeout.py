"""pytest plugin: fail a test whose body runs longer than --call-timeout seconds (SIGALRM).

pytest-timeout is not installable here; this covers the test call only, so setUp/tearDown
(which start and kill the server) always run to completion.
"""

import signal

import pytest


class CallTimeout(Exception):
    pass


def pytest_addoption(parser):
    parser.addoption("--call-timeout", type=float, default=60.0, help="seconds per test call (0: none)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("call_timeout")
    if not seconds:
        return (yield)

    def expire(signum, frame):
        raise CallTimeout(f"test call took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
