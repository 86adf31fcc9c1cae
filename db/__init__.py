"""Storage: SQLAlchemy 2.0 models, engine/session factory, CRUD and Alembic migrations.

No torch, no Streamlit, no model code: callers pass plain values in.
"""
