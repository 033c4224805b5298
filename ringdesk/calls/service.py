"""Placing a call through a calling platform and following it to the end: `CallService`, one `Call` each.

    service = CallService(platform, history, call_control=lambda: granted("CallControl"))
    call = await service.place(target, from_=phone, from_label="Mobile", caller_id=None, play_prompt=True)
    unsubscribe = call.subscribe(view_model.show)      # every CallState, in order
    await call.cancel()                                # cancel while ringing, hang up once connected
    final = await call.wait_finished()

Rules this module keeps, and why:

- **The attempt is in the history before anything is sent**, so a crash, a dead network or a
  refused request still leaves a record of what the operator tried.
- **Nothing is sent during a penalty or past the budget for placing calls** (RingCentral's Heavy
  group: RingOut create and cancel share ten per minute): `place` refuses with
  `RateLimited(sent=False)` and says "Not sent" in the history. `next_call_possible_in()` is the
  countdown for the Call button.
- **A call is never placed twice.** When the connection breaks after the request may
  have reached the platform, a phone may be ringing already; the sentence says so.
- **One state machine.** Polled progress, a cancel, a hang-up and (later) push events all go
  through `state.next_state`, so every view sees the same phases.
- **Polling stays inside the status budget** (RingCentral's Light group; see
  `PollingStatusSource`), backs off on 429 and on network trouble, and never fails a call because
  the network hiccuped.
- **A call's recorded outcome is the truth.** A call whose status the platform no longer reports
  before RingDesk saw it connect is not assumed to have failed: a 404 may follow a status that
  expired during a gap in polling. Nor is a call that ended ("Finished") before RingDesk saw it
  connect assumed never to have connected. The platform's own record (`final_record`) decides,
  and when it cannot, the call ends "Outcome unknown: see your call log". The record also gives
  the length of a call whose end was seen only after a gap (`record_gap`).
- **Durations come from the monotonic clock.** The wall clock only stamps when a call connected;
  `ended_at` is that stamp plus the monotonic time connected, so a sleep, a resume or the wall
  clock being set an hour either way does not change how long a call lasted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ringdesk.calls.state import (
    CALL_CONTROL_MISSING,
    CONNECTION_TROUBLE,
    CallState,
    Phase,
    next_state,
    placing_state,
    unknown_outcome_state,
)
from ringdesk.errors import (
    ApiError,
    AuthenticationError,
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    RingDeskError,
    ServerError,
)
from ringdesk.numbers import DialTarget
from ringdesk.platforms.base import (
    Action,
    CallAlreadyConnected,
    CallFeed,
    CallHandle,
    CallingPlatform,
    CallNotFound,
    CallProgress,
    Leg,
    LegStatus,
    Phone,
)
from ringdesk.storage.history import INTERRUPTED_OUTCOME, HistoryState

__all__ = [
    "DEFAULT_BUDGET_SHARE",
    "DEFAULT_POLL_INTERVAL",
    "Call",
    "CallActionUnavailable",
    "CallHistoryLike",
    "CallService",
    "FeedStatusSource",
    "PollingStatusSource",
    "StatusSink",
    "StatusSource",
]

_log = logging.getLogger("ringdesk.calls")

DEFAULT_POLL_INTERVAL = 2.5
"""Seconds between status polls when the budget allows: what RingCentral's own widget uses."""
DEFAULT_BUDGET_SHARE = 0.5
"""The share of the status budget one call's polling may use, leaving the rest for presence,
number lists and hang-up, which share RingCentral's Light group."""
DEFAULT_TROUBLE_BACKOFF_MAX = 8.0
"""Longest pause between polls while the network is in trouble. A finished call's status is kept
for a short while only (the simulator keeps a RingOut 15 s after it ends), so the pause stays well
below that: the first poll that gets through after the trouble still sees how the call ended."""
SLOW_CANCEL = 2.0
"""Seconds after which a cancel's "done" is checked against the platform's record (see `_cancel_ringing`)."""
DEFAULT_DESTINATION_GRACE = 10.0
"""Seconds of silence about the destination's leg, after the operator answered, before polling
(see `FeedStatusSource`); "press 1" may keep it silent this long, which then costs a few polls."""
DEFAULT_RECORD_GAP = 5.0
"""An end seen this long after the call was last seen going on has the gap in its length, which is
worth one request for the platform's record (at the default poll interval, 2.5 s, it takes trouble
or a budget that spaces polls widely)."""

HUNG_UP = "You hung up."
AUTH_TROUBLE = "Not signed in; RingDesk will follow the call again once you sign in"
LOST_WHILE_PLACING = (
    "RingDesk lost the connection while placing the call; check your phone before trying again."
)
UNREACHABLE_WHILE_PLACING = "Cannot reach the phone service, so the call was not placed."
SERVER_TROUBLE_WHILE_PLACING = (
    "The phone service had trouble placing the call; check your phone before trying again."
)
UNREADABLE_WHILE_PLACING = (
    "RingDesk could not read the phone service's answer to placing the call; check your phone before "
    "trying again."
)


class CallActionUnavailable(RingDeskError):
    """Cancel or hang up cannot be done from RingDesk now; `user_message` says why."""


class CallHistoryLike(Protocol):
    """What the service needs of the call history (`ringdesk.storage.history.CallHistory`)."""

    async def record_attempt(
        self,
        *,
        platform: str,
        destination: str,
        destination_display: str,
        extension: str | None,
        from_number: str,
        from_label: str | None,
        caller_id: str | None,
        play_prompt: bool,
        started_at: float | None = None,
    ) -> int: ...

    async def update(self, record_id: int, **fields: Any) -> None: ...


class StatusSink(Protocol):
    """Where a status source delivers what it learns about one call (a `Call` is one)."""

    @property
    def finished(self) -> bool:
        """True once the call is final; the source stops then."""
        ...

    async def progress_seen(self, progress: CallProgress) -> None: ...

    async def call_gone(self) -> None:
        """The platform no longer reports the call (404); the sink settles how it ended."""
        ...

    def trouble(self, notice: str | None) -> None:
        """The source cannot learn the status for now (`notice` says why), or can again (None)."""
        ...


class StatusSource(Protocol):
    """Follows one call and feeds a sink until the sink is finished or the task is cancelled.

    `PollingStatusSource` asks the platform; `FeedStatusSource` takes the platform's pushed events
    and polls only while they cannot tell. Both feed the same sink, so the same state machine.
    """

    async def run(self, call: CallHandle, sink: StatusSink) -> None: ...


def rate_limit_notice(seconds: float) -> str:
    """The notice while status requests wait out the platform's rate limit."""
    return f"Status delayed by the rate limit, next check in {max(1, math.ceil(seconds))} s"


class PollingStatusSource:
    """Polls the platform for a call's progress (RingCentral: `GET .../ring-out/{id}`) within budget.

    The pause before each poll is the largest of:

    - `interval` (2.5 s by default);
    - the window divided by `budget_share` of the status budget's limit, as the platform has
      stated it (RingCentral: 50 per 60 s unless its headers say otherwise): 2.4 s by default,
      12 s if the server says 10 per minute;
    - what the budget says right now (`next_send_in`: a full window or a penalty);
    - after a 429, its Retry-After, shown to the sink as a notice rather than waited out silently;
    - after network or server trouble, `interval` doubling per failure up to `trouble_backoff_max`
      (8 s by default, below how long a finished call's status is kept).

    A 404 is confirmed by one more poll before the call counts as gone: a status can be missing
    for a moment (just after the call was placed) while the call goes on.
    """

    def __init__(
        self,
        platform: CallingPlatform,
        *,
        interval: float = DEFAULT_POLL_INTERVAL,
        budget_share: float = DEFAULT_BUDGET_SHARE,
        trouble_backoff_max: float = DEFAULT_TROUBLE_BACKOFF_MAX,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if interval <= 0 or not 0 < budget_share <= 1:
            raise ValueError("poll interval must be positive and budget share in (0, 1]")
        self._platform = platform
        self._interval = interval
        self._share = budget_share
        self._backoff_max = max(interval, trouble_backoff_max)
        self._clock = clock
        self._sleep = sleep

    def pause(self, failures: int = 0) -> float:
        """Seconds to wait before the next poll (see the class docstring)."""
        state = self._platform.budget(Action.STATUS)
        budget = 0.0
        if state.limit is not None and state.limit > 0:
            budget = state.window / (state.limit * self._share)
        elif state.limit == 0:
            budget = state.window
        pause = max(self._interval, budget)
        if failures:
            pause = max(pause, min(self._backoff_max, self._interval * 2**failures))
        return max(pause, state.next_send_in)

    async def check(self, call: CallHandle, sink: StatusSink) -> bool:
        """Ask once how the call stands, now; False when the platform no longer knows it (404).

        Trouble (network, rate limit, sign-in) is not an answer: it says nothing and returns True.
        """
        try:
            progress = await self._platform.call_progress(call.call_id)
        except NotFound:
            return False
        except RingDeskError as exc:
            _log.info("status of call %s unknown for now (%s)", call.call_id, type(exc).__name__)
            return True
        await sink.progress_seen(progress)
        return True

    async def run(self, call: CallHandle, sink: StatusSink) -> None:
        call_id = call.call_id
        failures = 0
        not_found = False
        wait = self.pause()
        while not sink.finished:
            await self._sleep(wait)
            if sink.finished:
                return
            started = self._clock()
            try:
                progress = await self._platform.call_progress(call_id)
            except NotFound:
                if not_found:
                    await sink.call_gone()
                    return
                not_found = True
                _log.info("status of call %s not found; asking once more", call_id)
                wait = max(0.0, self.pause(failures) - (self._clock() - started))
                continue
            except RateLimited as exc:
                # Never spam: sit out the server's penalty (the platform's budget knows it too).
                _log.info("status of call %s: rate limited for %.1f s", call_id, exc.retry_after)
                wait = max(exc.retry_after, self.pause(failures))
                sink.trouble(rate_limit_notice(wait))
                continue
            except AuthenticationError:
                failures += 1
                sink.trouble(AUTH_TROUBLE)
            except (NetworkError, ApiError) as exc:
                failures += 1
                _log.info("status of call %s unknown for now (%s)", call_id, type(exc).__name__)
                sink.trouble(CONNECTION_TROUBLE)
            else:
                failures = 0
                not_found = False
                sink.trouble(None)
                await sink.progress_seen(progress)
            # Spacing is measured from the start of the poll, so a slow answer does not add up.
            wait = max(0.0, self.pause(failures) - (self._clock() - started))


class FeedStatusSource:
    """Follows a call by the platform's pushed events (`CallFeed`), polling only while they cannot tell.

    Polling runs until the feed has found the call's events and while the feed is down, and stops
    as soon as events flow: while push is up, a call costs no status requests at all. When the
    feed comes back after events may have been lost, the call is asked about once; if the
    platform no longer knows it, polling settles how it ended (the 404 rules of polling apply).

    The platform documents that it may not send events of parties outside the operator's account
    (the destination is one). So when the operator's phone has answered and nothing at all has
    been heard of the destination's leg for `destination_grace` seconds, the call is polled to
    its end rather than shown ringing for ever.
    """

    def __init__(
        self,
        feed: CallFeed,
        polling: PollingStatusSource,
        *,
        destination_grace: float = DEFAULT_DESTINATION_GRACE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._feed = feed
        self._polling = polling
        self._grace = destination_grace
        self._clock = clock

    async def run(self, call: CallHandle, sink: StatusSink) -> None:
        news: asyncio.Queue[CallProgress | str] = asyncio.Queue()
        stop_following = self._feed.follow(call, _QueueingListener(news))
        poller: asyncio.Task[None] | None = None
        must_poll = False
        """Set when a check after missed events found the call gone: only polling can settle it."""

        async def poll() -> None:
            try:
                await self._polling.run(call, sink)
            finally:
                news.put_nowait("polling ended")

        silent_since: float | None = None
        """When the operator's phone answered while the destination's leg has not been heard of."""
        try:
            while not sink.finished:
                pushed = self._feed.live and self._feed.matched(call.call_id) and not must_poll
                if pushed and poller is not None:
                    poller.cancel()
                    poller = None
                    sink.trouble(None)
                elif not pushed and poller is None:
                    poller = asyncio.create_task(poll(), name=f"call {call.call_id} polling")
                wait = None
                if pushed and silent_since is not None:
                    wait = max(0.0, silent_since + self._grace - self._clock())
                try:
                    item = await asyncio.wait_for(news.get(), wait)
                except TimeoutError:
                    _log.info("no events of the destination's leg of call %s; polling it", call.call_id)
                    must_poll = True
                    continue
                if isinstance(item, CallProgress):
                    unheard = item.caller.status is LegStatus.ANSWERED and not item.callee.word
                    if not unheard:
                        silent_since = None
                    elif silent_since is None:
                        silent_since = self._clock()
                    await sink.progress_seen(item)
                elif item == "missed" and not await self._polling.check(call, sink):
                    must_poll = True
                elif item == "polling ended" and poller is not None and poller.done():
                    poller = None
        finally:
            stop_following()
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller


class _QueueingListener:
    """A `CallFeedListener` that hands everything to the source's loop, in order."""

    def __init__(self, queue: asyncio.Queue[CallProgress | str]) -> None:
        self._queue = queue

    def progress(self, progress: CallProgress) -> None:
        self._queue.put_nowait(progress)

    def live_changed(self, live: bool) -> None:
        self._queue.put_nowait("live" if live else "down")

    def missed_events(self) -> None:
        self._queue.put_nowait("missed")


class Call:
    """One call attempt: its state, its history record, and the actions that make sense now.

    Listeners are called synchronously, in order, on every state change, on the event loop.
    """

    def __init__(
        self,
        service: CallService,
        *,
        record_id: int,
        target: DialTarget,
        from_number: str,
        play_prompt: bool,
        placed_at: float,
        state: CallState,
    ) -> None:
        self._service = service
        self.record_id = record_id
        self.target = target
        self.from_number = from_number
        self.play_prompt = play_prompt
        self.placed_at = placed_at
        """Wall-clock time the request to place the call was sent (used to find the call again)."""
        self.call_id: str | None = None
        """The platform's id of the call, once it is placed."""
        self._state = state
        self._connected_since: float | None = None
        """The service's monotonic clock when the call connected: what its duration is measured from."""
        self._last_seen_live = service._clock()
        """The service's monotonic clock when progress last showed the call going on."""
        self._listeners: list[Callable[[CallState], None]] = []
        self._cancel_requested = False
        self._hang_up_requested = False
        self._action_lock = asyncio.Lock()
        self._finished = asyncio.Event()
        self._source_task: asyncio.Task[None] | None = None
        self._writes: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_history(), name=f"call history {record_id}")
        self._writes_closed = False
        self._closed = False

    # ------------------------------------------------------------------ what views use

    @property
    def state(self) -> CallState:
        return self._state

    @property
    def finished(self) -> bool:
        return self._state.final

    def subscribe(self, listener: Callable[[CallState], None]) -> Callable[[], None]:
        """Call `listener(state)` on every change from now on; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    async def cancel(self) -> None:
        """Stop the call: cancel it while it rings, hang it up once connected.

        Raises `CallActionUnavailable` when hanging up needs the Call Control permission the app
        lacks, or the call cannot be found to hang it up; platform errors come through as they are.
        """
        # One action at a time: a double click must not spend a second Heavy request.
        async with self._action_lock:
            await self._stop()

    async def _stop(self) -> None:
        phase = self._state.phase
        if phase.final:
            return
        if phase.ringing:
            await self._cancel_ringing()
            if not self._state.final and self._state.phase is Phase.CONNECTED:
                await self._hang_up()
            return
        if phase is Phase.CONNECTED:
            await self._hang_up()
            return
        raise CallActionUnavailable("The call is still being placed; try again in a moment.")

    async def wait_finished(self) -> CallState:
        """The final state, once the call has ended and the history has it."""
        await self._finished.wait()
        await self._flush()
        return self._state

    async def aclose(self) -> None:
        """Stop following the call (on quit); a call still running is marked interrupted in the history."""
        if self._closed:
            return
        self._closed = True
        self._service._forget(self)
        task = self._source_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not self._state.final:
            # The phone call may go on without us; say so rather than leave it looking live.
            self._write({"state": HistoryState.INTERRUPTED, "outcome": INTERRUPTED_OUTCOME})
        self._close_writes()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    # ------------------------------------------------------------------ StatusSink

    async def progress_seen(self, progress: CallProgress) -> None:
        """Take in polled (or pushed) progress; an end the status alone cannot tell is settled by
        the platform's record (see `_needs_record`)."""
        state = self._next(progress)
        if state.final and self._needs_record(state):
            await self._settle_by_record(seen_end=state if state.connected_at is not None else None)
            return
        if not state.final:
            self._last_seen_live = self._service._clock()
        self._commit(state)

    async def call_gone(self) -> None:
        """Settle how a call the platform no longer reports ended (see the module docstring).

        The platform's record decides. Without one, a call seen connected has ended (its length
        as RingDesk measured it), one RingDesk asked to cancel was cancelled (a cancel that was
        confirmed never gets here), and any other call's outcome is unknown. A cancel whose answer
        was lost may have come too late: the record tells a cancelled call from one that connected.
        """
        if self._state.final:
            return
        gone = self._next(None, gone=True)
        likely = gone.connected_at is not None or self._cancel_requested
        await self._settle_by_record(seen_end=gone if likely else None)

    def trouble(self, notice: str | None) -> None:
        if self._state.final or self._state.notice == notice:
            return
        self._publish(_replace(self._state, notice=notice), write=False)

    # ------------------------------------------------------------------ internals

    def _start(self, progress: CallProgress, source: StatusSource) -> None:
        self.call_id = progress.call_id
        self._write({"call_id": progress.call_id})
        self._advance(progress)
        if not self._state.final:
            self._source_task = asyncio.create_task(
                self._follow(source, self._handle()), name=f"call {progress.call_id} status"
            )

    async def _follow(self, source: StatusSource, call: CallHandle) -> None:
        call_id = call.call_id
        try:
            await source.run(call, self)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug in a source must not leave the view frozen on "Ringing" without a word.
            _log.exception("following call %s failed", call_id)
            self.trouble(CONNECTION_TROUBLE)

    def _advance(
        self, progress: CallProgress | None, *, gone: bool = False, outcome: str | None = None
    ) -> None:
        self._commit(self._next(progress, gone=gone, outcome=outcome))

    def _next(
        self, progress: CallProgress | None, *, gone: bool = False, outcome: str | None = None
    ) -> CallState:
        """The state after `progress` (or the call's disappearance), not yet published."""
        previous = self._state
        state = next_state(
            previous,
            progress,
            play_prompt=self.play_prompt,
            now=self._service._wall_clock(),
            gone=gone,
            call_control=self._service._call_control(),
            cancelled=self._cancel_requested,
        )
        if outcome is None and self._hang_up_requested:
            outcome = HUNG_UP
        if outcome is not None and state.phase is Phase.ENDED and not previous.final:
            state = _replace(state, outcome=outcome)
        return state

    def _commit(self, state: CallState) -> None:
        if state == self._state:
            return
        if state.final:
            self._publish_final(state)
        else:
            self._publish(state, write=True)

    def _needs_record(self, end: CallState) -> bool:
        """Whether an end seen in the status leaves out what the platform's record knows.

        RingOut's "Finished" covers a call that connected and one that never did, and a call
        RingDesk did not see connected (it was shorter than a poll, or a gap hid it) would be
        recorded without its talk time. A call seen connected whose end came long after it was
        last seen live would be recorded with the gap in its length; and after a cancel whose
        answer was unclear, "Finished" may be the cancel or a call that connected. Failures and
        ends that already carry the record's length are what they say.
        """
        if end.phase is not Phase.ENDED:
            return False
        if end.progress is not None and end.progress.connected_for is not None:
            return False
        if end.connected_at is None:
            return True
        return self._service._clock() - self._last_seen_live > self._service._record_gap

    async def _settle_by_record(self, *, seen_end: CallState | None) -> None:
        """End the call as the platform's record says; without one, as `seen_end` (the end the
        status suggests, when it suggests one), or else with the outcome unknown."""
        try:
            record = await self._service._platform.final_record(self._handle())
        except RingDeskError as exc:
            _log.info("record of call %s unavailable (%s)", self.call_id, type(exc).__name__)
            record = None
        if self._state.final:
            return  # settled meanwhile (a cancel or hang-up finished first)
        if record is not None:
            self._advance(record)
        if self._state.final:
            return
        if seen_end is not None:
            self._commit(seen_end)
            return
        # No record, or one that does not say how the call ended: say so rather than guess.
        now, call_control = self._service._wall_clock(), self._service._call_control()
        self._publish_final(unknown_outcome_state(self._state, now=now, call_control=call_control))

    def _publish_final(self, state: CallState) -> None:
        """Publish a final state with its times made consistent, and without a passing notice."""
        self._publish(_replace(self._timed(state), notice=None), write=True)

    def _timed(self, state: CallState) -> CallState:
        """`state` with `connected_at` noted on the monotonic clock and, once final, `ended_at` after it.

        The length of a finished call is, in this order: the platform's record of it
        (`progress.connected_for`), else the monotonic time since RingDesk saw it connect. The
        wall clock only stamps `connected_at`; `ended_at` is that stamp plus the length, so the
        history's `ended_at - connected_at` is the duration even when the wall clock jumped.
        """
        if state.connected_at is not None and self._connected_since is None:
            self._connected_since = self._service._clock()
        if not state.final or state.ended_at is None:
            return state
        recorded = state.progress.connected_for if state.progress is not None else None
        if recorded is not None:
            if state.connected_at is None:
                # Connected, but RingDesk never saw it: the record's length counts back from now.
                return _replace(state, connected_at=state.ended_at - recorded)
            return _replace(state, ended_at=state.connected_at + recorded)
        if state.connected_at is None or self._connected_since is None:
            return state
        elapsed = max(0.0, self._service._clock() - self._connected_since)
        return _replace(state, ended_at=state.connected_at + elapsed)

    def _publish(self, state: CallState, *, write: bool) -> None:
        if not state.final:
            state = self._timed(state)
        previous = self._state
        self._state = state
        if write and _history_fields(previous) != _history_fields(state):
            self._write(_history_fields(state))
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                _log.exception("a call state listener failed")
        if state.final and not self._finished.is_set():
            self._finished.set()
            self._service._forget(self)
            self._close_writes()
            task = self._source_task
            if task is not None and task is not asyncio.current_task():
                # Nothing left to learn; a poller asleep until its next turn need not wake.
                task.cancel()

    def _write(self, fields: dict[str, Any]) -> None:
        if not self._writes_closed:
            self._writes.put_nowait(fields)

    def _close_writes(self) -> None:
        if not self._writes_closed:
            self._writes_closed = True
            self._writes.put_nowait(None)

    async def _write_history(self) -> None:
        history = self._service._history
        while True:
            fields = await self._writes.get()
            try:
                if fields is None:
                    return
                try:
                    await history.update(self.record_id, **fields)
                except Exception:
                    # The call goes on; a history that cannot be written is logged, not shown as a
                    # call failure.
                    _log.exception("could not update call record %s", self.record_id)
            finally:
                self._writes.task_done()

    async def _flush(self) -> None:
        if not self._writer.done():
            await self._writes.join()

    def _handle(self) -> CallHandle:
        assert self.call_id is not None
        return CallHandle(self.call_id, self.target.e164, self.from_number, self.placed_at)

    async def _cancel_ringing(self) -> None:
        assert self.call_id is not None
        platform = self._service._platform
        cancelled_before = self._cancel_requested  # an earlier cancel may have reached the platform
        self._cancel_requested = True
        asked_at = self._service._clock()
        try:
            await platform.cancel_call(self.call_id)
        except NotFound:
            # Nothing to cancel: the call ended while the request was on its way, perhaps after it
            # connected. This cancel did nothing, so the status (or the platform's record) tells
            # how it ended; if it still goes on after all, the operator can stop it again.
            self._cancel_requested = cancelled_before
            with contextlib.suppress(RingDeskError):
                await self.progress_seen(await platform.call_progress(self.call_id))
            return
        except CallAlreadyConnected:
            # It connected in the meantime; learn the new state, then hang up instead.
            self._cancel_requested = False
            with contextlib.suppress(RingDeskError):
                await self.progress_seen(await platform.call_progress(self.call_id))
            return
        except NetworkError as exc:
            self._cancel_requested = exc.may_have_reached_server
            raise
        except MalformedResponse:
            # Something answered, so the cancel may have been done: the status will say.
            raise
        except RingDeskError:
            self._cancel_requested = False
            raise
        if self._service._clock() - asked_at > SLOW_CANCEL:
            # The platform also answers a cancel of a call that has ended with "done": one that
            # took this long (re-sent, or a slow network) may have met a call that connected and
            # ended meanwhile. The record tells; without one, nobody can.
            await self._settle_by_record(seen_end=None)
            return
        self._advance(None, gone=True)

    async def _hang_up(self) -> None:
        if not self._service._call_control():
            raise CallActionUnavailable(CALL_CONTROL_MISSING)
        assert self.call_id is not None
        # Pushed events of the end can arrive before the platform has answered the hang-up.
        self._hang_up_requested = True
        try:
            await self._service._platform.hang_up(self._handle())
        except CallNotFound as exc:
            self._hang_up_requested = False
            raise CallActionUnavailable(exc.user_message) from exc
        except NotFound:
            self._hang_up_requested = False  # it had ended by itself
            self._advance(None, gone=True)
            return
        except BaseException:
            self._hang_up_requested = False
            raise
        finished = Leg(LegStatus.FINISHED, word="Finished")
        self._advance(CallProgress(self.call_id, finished, finished, finished))


class CallService:
    """Places calls for the signed-in operator through one platform.

    `call_control()` answers whether the sign-in holds the permission hanging up needs
    (`platform.hang_up_permission`); it is asked whenever a state is computed, so a new sign-in
    takes effect at once. `source_factory` builds the status source of each call (polling unless
    told otherwise). A call whose end is seen more than `record_gap` seconds after it was last seen
    going on has its length taken from the platform's record.
    """

    def __init__(
        self,
        platform: CallingPlatform,
        history: CallHistoryLike,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        call_control: Callable[[], bool],
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        record_gap: float = DEFAULT_RECORD_GAP,
        source_factory: Callable[[], StatusSource] | None = None,
    ) -> None:
        self._platform = platform
        self._history = history
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._call_control = call_control
        self._poll_interval = poll_interval
        self._record_gap = record_gap
        self._source_factory = source_factory or self._default_source
        self._calls: set[Call] = set()

    def next_call_possible_in(self) -> float:
        """Seconds until a call may be placed (0.0 = now): the Call button's countdown."""
        return self._platform.budget(Action.PLACE).next_send_in

    @property
    def active_calls(self) -> frozenset[Call]:
        return frozenset(self._calls)

    async def place(
        self,
        target: DialTarget,
        *,
        from_: Phone | str,
        from_label: str | None,
        caller_id: str | None,
        play_prompt: bool,
    ) -> Call:
        """Record the attempt, then place the call; the returned call is already being followed.

        Raises `RateLimited(sent=False)` when the placing budget or a penalty forbids sending,
        `NetworkError`, `InvalidRequest`, `PermissionDenied`... when placing fails; in every case
        the history record says what happened and `user_message` is the sentence to show.

        The destination is E.164 (`target.e164`): a number typed without a country code was
        already read with the operator's default country when it was parsed. An internal call
        sends the extension's number ("101") as it is, as RingCentral's own apps do.
        """
        from_number = _from_number(from_)
        started_at = self._wall_clock()
        record_id = await self._history.record_attempt(
            platform=self._platform.kind,
            destination=target.e164,
            destination_display=target.display,
            extension=target.extension,
            from_number=from_number,
            from_label=from_label,
            caller_id=caller_id,
            play_prompt=play_prompt,
            started_at=started_at,
        )
        await self._refuse_over_budget(record_id)
        placed_at = self._wall_clock()
        try:
            progress = await self._platform.place_call(
                from_, target.e164, caller_id=caller_id, play_prompt=play_prompt
            )
        except asyncio.CancelledError:
            # Quitting mid-request: the call may be ringing; the record must not say otherwise.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._fail_record(record_id, LOST_WHILE_PLACING, "Cancelled"))
            raise
        except RingDeskError as exc:
            sentence, code = self._placing_failure(exc)
            exc.user_message = sentence
            await self._fail_record(record_id, sentence, code)
            _log.warning("call to %s not placed: %s", _masked(target.e164), exc)
            raise
        except Exception as exc:
            # A bug, not a platform answer; the record still must not stay "placing" forever.
            await self._fail_record(record_id, "RingDesk could not place the call.", type(exc).__name__)
            raise

        call = Call(
            self,
            record_id=record_id,
            target=target,
            from_number=from_number,
            play_prompt=play_prompt,
            placed_at=placed_at,
            state=placing_state(target.display),
        )
        self._calls.add(call)
        call._start(progress, self._source_factory())
        return call

    async def aclose(self) -> None:
        """Stop following every call (on sign-out or quit)."""
        for call in list(self._calls):
            await call.aclose()

    # ------------------------------------------------------------------ internals

    def _default_source(self) -> StatusSource:
        polling = PollingStatusSource(
            self._platform, interval=self._poll_interval, clock=self._clock, sleep=self._sleep
        )
        feed = self._platform.call_feed
        return polling if feed is None else FeedStatusSource(feed, polling, clock=self._clock)

    async def _refuse_over_budget(self, record_id: int) -> None:
        """Raise `RateLimited(sent=False)`, with the record saying "Not sent", while placing must wait."""
        budget = self._platform.budget(Action.PLACE)
        wait = budget.next_send_in
        if wait > 0:
            seconds = math.ceil(wait)
            await self._fail_record(record_id, f"Not sent: wait {seconds} s", "RateLimited")
            raise RateLimited(
                f"Too many calls in a short time; the next call is possible in {seconds} s.",
                retry_after=wait,
                group=budget.name,
                sent=False,
            )

    def _placing_failure(self, exc: RingDeskError) -> tuple[str, str | None]:
        """The history sentence and code for a call that could not be placed."""
        if isinstance(exc, RateLimited):
            seconds = max(1, math.ceil(exc.retry_after))
            if exc.sent:
                return (
                    f"The phone service refused the call: too many requests. Wait {seconds} s.",
                    exc.error_code or "RateLimited",
                )
            return f"Not sent: wait {seconds} s", "RateLimited"
        if isinstance(exc, NetworkError):
            if exc.may_have_reached_server:
                return LOST_WHILE_PLACING, "NetworkError"
            return UNREACHABLE_WHILE_PLACING, "NetworkError"
        if isinstance(exc, ServerError):
            return SERVER_TROUBLE_WHILE_PLACING, exc.error_code or f"HTTP {exc.status}"
        if isinstance(exc, MalformedResponse):
            # The platform may have accepted the request before its answer turned out unusable.
            return UNREADABLE_WHILE_PLACING, "MalformedResponse"
        known = self._platform.place_failure(exc)
        if known is not None:
            return known
        if isinstance(exc, ApiError):
            return exc.user_message, exc.error_code or (f"HTTP {exc.status}" if exc.status else None)
        return exc.user_message, type(exc).__name__

    def _forget(self, call: Call) -> None:
        self._calls.discard(call)

    async def _fail_record(self, record_id: int, outcome: str, error_code: str | None) -> None:
        try:
            await self._history.update(
                record_id,
                state=HistoryState.FAILED,
                outcome=outcome,
                error_code=error_code,
                ended_at=self._wall_clock(),
            )
        except Exception:
            _log.exception("could not update call record %s", record_id)


# --------------------------------------------------------------------------- helpers


def _replace(state: CallState, **changes: Any) -> CallState:
    return dataclasses.replace(state, **changes)


# How the history files each phase: it keeps fewer states than a call passes through.
_HISTORY_STATES: dict[Phase, HistoryState] = {
    Phase.IDLE: HistoryState.PLACING,
    Phase.PLACING: HistoryState.PLACING,
    Phase.CALLING_YOU: HistoryState.RINGING,
    Phase.YOU_ANSWERED: HistoryState.RINGING,
    Phase.WAITING_FOR_PRESS_1: HistoryState.RINGING,
    Phase.CALLING_DESTINATION: HistoryState.RINGING,
    Phase.CONNECTED: HistoryState.CONNECTED,
    Phase.ENDED: HistoryState.ENDED,
    Phase.FAILED: HistoryState.FAILED,
    Phase.CANCELLED: HistoryState.CANCELLED,
}


def _history_fields(state: CallState) -> dict[str, Any]:
    caller = callee = None
    if state.raw is not None:
        caller, callee = state.raw[1] or None, state.raw[2] or None
    return {
        "state": _HISTORY_STATES[state.phase],
        "outcome": state.outcome,
        "error_code": state.error_code,
        "caller_status": caller,
        "callee_status": callee,
        "connected_at": state.connected_at,
        "ended_at": state.ended_at,
    }


def _from_number(from_: Phone | str) -> str:
    if isinstance(from_, Phone):
        return from_.number or ""
    return from_


def _masked(number: str) -> str:
    # Logs keep enough to tell calls apart without keeping whom the operator called.
    return number[:-4] + "****" if len(number) > 6 else "****"
