"""The benchmark: the real bot process against a bare PTB bot on the test server; see README "Performance"."""
