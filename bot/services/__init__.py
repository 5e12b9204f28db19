"""The rules of Wijkhulp as plain `async def f(session, ...)` functions; nothing here imports telegram."""
