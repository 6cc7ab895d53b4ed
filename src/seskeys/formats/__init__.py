"""Renderers: pure functions from result objects to text. Only this package renders."""

from __future__ import annotations

from enum import StrEnum


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    SARIF = "sarif"
