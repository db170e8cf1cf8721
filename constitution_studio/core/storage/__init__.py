"""The file layer every write goes through: path safety, the per-constitution lock, the journal."""
