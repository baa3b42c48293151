"""The local store's room: FAISS + SQLite + BM25 files in generation folders (reader.py)."""
