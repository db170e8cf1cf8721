"""Widgets of the studio's main screen."""
