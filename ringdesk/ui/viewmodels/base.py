"""The base of the view models that publish one immutable view per change.

    class TrayViewModel(ViewModel[TrayView]):
        def __init__(self, ...) -> None:
            super().__init__(parent)
            ...                                   # the state the view is made from
            self._view = self._make_view()        # the first view, published by no signal

        def _make_view(self) -> TrayView: ...     # the state as a frozen dataclass

A widget renders `view` once and then every view `changed` brings; an intent changes the state
and calls `_publish()`, which emits only when the new view differs from the last one, so a
repeated intent does not repaint. The first view is made by the subclass at the end of its
`__init__`, once its state (and the timers a QObject can own only after `QObject.__init__`) exists.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Signal

__all__ = ["ViewModel"]

ViewT = TypeVar("ViewT")


class ViewModel(QObject, Generic[ViewT]):
    """A QObject that owns the current view and the `changed(view)` signal."""

    changed = Signal(object)

    _view: ViewT

    @property
    def view(self) -> ViewT:
        return self._view

    def _publish(self) -> None:
        """Make the view again and emit `changed` with it when it differs from the last one."""
        view = self._make_view()
        if view != self._view:
            self._view = view
            self.changed.emit(view)

    def _make_view(self) -> ViewT:
        """The current state as the immutable view the widgets render; every subclass makes its own."""
        # Not @abstractmethod: QObject's metaclass is not ABCMeta, so that would never be enforced.
        raise NotImplementedError(f"{type(self).__name__} must define _make_view()")
