"""Contract tests: the published OpenAPI description against the simulator, the client and the SDK."""
