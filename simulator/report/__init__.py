"""Summary numbers and the HTML/Markdown reports, read from records (never from scorers)."""
