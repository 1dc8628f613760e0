"""The progress store: schema, domain rules and the one service that reads and writes progress."""
