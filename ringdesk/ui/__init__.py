"""The Qt user interface: windows and dialogs (pure views) and, in `viewmodels`, the QObjects they bind to.

Widgets here receive view models or plain values, never a service: no HTTP, keyring or database code
and no `async def` in this package outside `viewmodels` and `notifications` (which speaks to the
desktop's notification service on the session bus). `ringdesk.app` is the one place that wires
services to view models and view models to windows.
"""
