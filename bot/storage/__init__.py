"""Storage: a small `Store` interface and its backends."""

from bot.storage.base import OrderNotFound, Store, StoreError, VersionConflict

__all__ = ["OrderNotFound", "Store", "StoreError", "VersionConflict"]
