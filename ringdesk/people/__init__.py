"""People RingDesk can call by name: the company directory and the operator's contacts, found as
the operator types (`search`). Qt-free."""
