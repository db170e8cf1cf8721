"""The library: models, storage, git, critic and shift analysis. Never imports a UI."""
