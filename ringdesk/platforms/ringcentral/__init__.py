"""RingCentral, Qt-free: its async client, models, rate-limit ledger and error codes.

`PlatformClient` is the only way RingDesk talks to RingCentral; its errors come from
`ringdesk.errors`, its replies are the frozen models in `ringdesk.platforms.ringcentral.models`.
The rest of RingDesk reaches it through `RingCentralPlatform` (`platform.py`), the platform seam's
implementation, which `ringdesk.platforms.registry` builds.
"""

from ringdesk.platforms.base import AuthHook
from ringdesk.platforms.oauth import TokenSet
from ringdesk.platforms.ringcentral.auth_hook import StaticTokenAuth
from ringdesk.platforms.ringcentral.client import DEFAULT_TIMEOUT, PlatformClient, RetryPolicy
from ringdesk.platforms.ringcentral.endpoints import ENDPOINTS, Endpoint, RateGroup
from ringdesk.platforms.ringcentral.models import (
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
)
from ringdesk.platforms.ringcentral.ratelimit import GroupState, RateLimitLedger

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
