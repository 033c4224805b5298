"""The windows and dialogs: pure views that render view models' views and call their intents.

A widget receives a view model (or one narrow callable), never a service: no network, keyring or
database code and no `async def` here; an import-linter contract keeps the platform, the session,
the storage and the simulator out.
"""
