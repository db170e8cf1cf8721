"""The Textual studio: a thin layer over constitution_studio.core."""
