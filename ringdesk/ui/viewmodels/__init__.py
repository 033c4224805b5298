"""View models: QObjects with Signals and synchronous intent methods; the only place services meet Qt."""
