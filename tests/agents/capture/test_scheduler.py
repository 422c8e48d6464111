"""The back-off schedule, on an injected clock: no sleeps."""

from __future__ import annotations

from agents.capture.scheduler import Scheduler


def make() -> Scheduler:
    return Scheduler(interval_s=2.0, max_interval_s=30.0, keyframe_s=300.0, idle_after_s=60.0)


def test_static_screen_backs_off_to_the_maximum() -> None:
    s = make()
    now = 0.0
    waits = []
    for _ in range(7):
        waits.append(s.grabbed(now, changed=False, idle_s=1.0))
        now += waits[-1]
    assert waits == [4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


def test_a_change_returns_to_the_base_interval_at_once() -> None:
    s = make()
    for t in (0.0, 4.0, 12.0, 28.0):
        s.grabbed(t, changed=False, idle_s=1.0)
    assert s.delay_s == 30.0
    assert s.grabbed(58.0, changed=True, idle_s=1.0) == 2.0
    assert s.due_at() == 60.0


def test_an_idle_user_backs_off_even_while_the_screen_changes() -> None:
    s = make()
    assert s.grabbed(0.0, changed=True, idle_s=120.0) == 4.0
    assert s.grabbed(4.0, changed=True, idle_s=124.0) == 8.0
    # Unknown idle time (no XScreenSaver) never counts as idle.
    assert s.grabbed(12.0, changed=True, idle_s=None) == 2.0


def test_input_or_another_window_ends_a_long_wait() -> None:
    s = make()
    for t in (0.0, 4.0, 12.0, 28.0):
        s.grabbed(t, changed=False, idle_s=100.0)
    assert s.due_at() == 58.0
    # Still idle, same window: keep waiting.
    assert not s.wake(30.0, idle_s=102.0, window_changed=False)
    # A key was pressed 1 s ago, after the last grab at 28 s: grab now, base interval.
    assert s.wake(32.0, idle_s=1.0, window_changed=False)
    assert s.delay_s == 2.0
    s.grabbed(32.0, changed=False, idle_s=1.0)
    assert s.wake(33.0, idle_s=None, window_changed=True)


def test_first_grab_is_due_at_once() -> None:
    s = make()
    assert s.due_at() == float("-inf")
    assert s.wake(0.0, idle_s=None, window_changed=False)


def test_keyframe_is_due_per_monitor_and_caps_the_wait() -> None:
    s = Scheduler(interval_s=2.0, max_interval_s=30.0, keyframe_s=10.0)
    assert s.keyframe_due(1, 0.0)
    s.kept(1, 0.0)
    s.kept(2, 5.0)
    assert not s.keyframe_due(1, 9.9)
    assert s.keyframe_due(1, 10.0)
    assert not s.keyframe_due(2, 10.0)
    for t in (0.0, 4.0):
        s.grabbed(t, changed=False, idle_s=None)
    assert s.delay_s == 8.0
    assert s.due_at() == 10.0  # the keyframe of monitor 1 comes before 4 + 8


def test_max_below_interval_is_raised_to_it() -> None:
    s = Scheduler(interval_s=5.0, max_interval_s=1.0, keyframe_s=300.0)
    assert s.grabbed(0.0, changed=False, idle_s=None) == 5.0
