"""The browser's grid of post cards: cached thumbnail, title, labels, the run's prediction, and
an Open button that selects the card (through a callback, so the detail shows on the same run)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

import streamlit as st

from app.browse_services import Card

TITLE_CHARS = 70


def card_grid(cards: Sequence[Card], on_open: Callable[[int], None], columns: int = 6,
              key_prefix: str = "browse") -> None:
    """Cards in rows of `columns`; the Open button of a card calls `on_open(sample_id)`."""
    for start in range(0, len(cards), columns):
        row = st.columns(columns)
        for column, card in zip(row, cards[start:start + columns], strict=False):
            with column.container(border=True):
                _card(card, on_open, key_prefix)


def _card(card: Card, on_open: Callable[[int], None], key_prefix: str) -> None:
    if card.thumbnail is not None:
        st.image(str(card.thumbnail), width="stretch")
    else:
        st.caption(f"🖼️ {card.image_note or 'image missing'}" if card.has_image
                   else "📝 text only")
    st.markdown(f"**{textwrap.shorten(card.title, TITLE_CHARS, placeholder='…')}**")
    st.caption(f"{card.split} · {card.labels}")
    if card.prediction:
        colour = {True: "green", False: "red"}.get(card.correct, "gray")
        st.markdown(f":{colour}[run: {card.prediction}]")
    st.button("Open", key=f"{key_prefix}_open_{card.sample_id}", width="stretch",
              on_click=on_open, args=(card.sample_id,))
