"""The soak test: the real bot process, killed with SIGKILL again and again while simulated people use it."""
