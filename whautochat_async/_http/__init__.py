"""The request pipeline: pure protocol and retry rules, the requester, the transport (I/O)."""
