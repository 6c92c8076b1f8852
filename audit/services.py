"""Writing the audit log: the one function every audited change calls."""

from __future__ import annotations

from typing import Any

from .models import AuditEntry


def actor_snapshot(actor: Any) -> tuple[int | None, str]:
    """A user's id and name, or nothing for the portal itself."""
    if actor is None or getattr(actor, "pk", None) is None:
        return None, ""
    return int(actor.pk), str(actor.get_username())


def audit_record(
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: int | None,
    target_name: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    source: str = AuditEntry.Source.PORTAL,
) -> AuditEntry:
    """One row of the log; call it inside the transaction of the change it records."""
    actor_id, actor_name = actor_snapshot(actor)
    return AuditEntry.objects.create(
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=str(target_name)[:200],
        reason=reason,
        details=details or {},
        source=source,
    )


def user_name(user: Any) -> str:
    """A user as the log names them: username and id."""
    return f"{user.get_username()} (#{user.pk})"
