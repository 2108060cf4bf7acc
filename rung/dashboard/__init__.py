"""``rung dashboard``: experiments watched live in a browser, read from their logs only."""
