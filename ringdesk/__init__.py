"""RingDesk: a desktop dialer for cloud phone systems."""

__version__ = "0.1.0"
