"""Constitution Studio: write, version and test the constitution that steers a model."""

__version__ = "0.1.0"
