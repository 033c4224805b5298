"""The Qt user interface: view models (`viewmodels`) and the widgets that render them (`widgets`).

View models are QObjects that publish immutable views and offer intents; they are the only place
services meet Qt. Widgets are pure views of them. `desktop_notifier` hands call notifications to
the desktop's notification service where there is no tray. `ringdesk.app` is the one place that
wires services to view models and view models to windows.
"""
