"""The async, Qt-free client for the RingCentral platform.

`PlatformClient` is the only way RingDesk talks to the platform; its errors come from
`ringdesk.errors`, its replies are the frozen models in `ringdesk.api.models`.
"""

from ringdesk.api.auth_hook import AuthHook, StaticTokenAuth
from ringdesk.api.client import DEFAULT_TIMEOUT, PlatformClient, RetryPolicy
from ringdesk.api.endpoints import ENDPOINTS, Endpoint, RateGroup
from ringdesk.api.models import (
    ActiveCall,
    CallParty,
    CallSession,
    Country,
    Device,
    Extension,
    ForwardingNumber,
    PhoneNumber,
    Presence,
    RingOutStatus,
    ServiceFeature,
    TokenSet,
)
from ringdesk.api.ratelimit import GroupState, RateLimitLedger

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENDPOINTS",
    "ActiveCall",
    "AuthHook",
    "CallParty",
    "CallSession",
    "Country",
    "Device",
    "Endpoint",
    "Extension",
    "ForwardingNumber",
    "GroupState",
    "PhoneNumber",
    "PlatformClient",
    "Presence",
    "RateGroup",
    "RateLimitLedger",
    "RetryPolicy",
    "RingOutStatus",
    "ServiceFeature",
    "StaticTokenAuth",
    "TokenSet",
]
