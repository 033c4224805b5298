"""Calling platforms: the seam the core speaks through (`base`), and one package per platform.

`ringdesk.platforms.ringcentral` is the first: its HTTP client, models, rate-limit ledger and
error codes, and `RingCentralPlatform`, which implements `base.CallingPlatform`.
"""
