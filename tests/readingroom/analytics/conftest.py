"""A small SYNTHETIC analytics demo study (simulated readers, two arms) for the analytics tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def lead(db):
    from readingroom.core.services import user_create

    return user_create(username="lead", password="lead-pass-123", roles=["lead"])


@pytest.fixture
def demo_study(db, lead):
    from readingroom.analytics.demo import demo_analytics_ensure
    from readingroom.core.services import user_create

    readers = [
        user_create(username=f"sim{i}", password="reader-pass-123", roles=["reader"]) for i in range(3)
    ]
    return demo_analytics_ensure(lead=lead, readers=readers, n_cases=6, seed=11)
