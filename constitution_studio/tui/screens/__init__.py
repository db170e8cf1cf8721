"""Screens of the studio: main, case detail, versions, history, help, modals."""
