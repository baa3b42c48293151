"""The public entry point of index/ for readers (the CLI's `ask`, the bot): one call wires it up."""

from __future__ import annotations

from .answer import Answerer
from .encoder import Encoder
from .retrieval import Retriever
from .settings import IndexSettings
from .translate import Translator
from .store import LiveIndex, open_backend


def open_answerer(settings: IndexSettings, encoder: Encoder | None = None, translator: Translator | None = None) -> Answerer:
    """An Answerer over the live index; fails fast (before loading the model) if there is none."""
    encoder = encoder or Encoder(settings.encoder)
    live = LiveIndex(open_backend(settings, encoder.name))
    live.snapshot()  # raises NoIndex / IndexDamaged / IndexMismatch now, with the way out
    return Answerer(live, encoder, Retriever(encoder, settings.retrieval), settings.answer, translator=translator)
