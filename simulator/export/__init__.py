"""Training and analysis exports of finished conversations."""
