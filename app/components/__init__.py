"""Render helpers and plotly figures shared by pages."""
