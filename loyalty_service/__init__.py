"""The reference loyalty service: Loyalty API v1 over FastAPI and SQLite.

It shares nothing with the till but the contract (docs/loyalty-api-v1.md).
"""
