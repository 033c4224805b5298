"""Services of the desktop RingDesk runs on, spoken to without Qt (the notification service)."""
