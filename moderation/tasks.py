"""Celery entry points of moderation."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def open_refusal_cases() -> int:
    return len(services.open_refusal_cases())
