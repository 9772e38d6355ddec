"""Bundled emotion model artifact (data only; code is in qa_engine.emotion)."""
