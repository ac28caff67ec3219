"""HTML views: thin, each parses input, calls one service or selector, renders the result."""
