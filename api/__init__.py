"""The service layer: HTTP API, persistence, durable jobs, auth.

``api`` depends on ``qa_engine``; the engine never imports ``api``.
"""
