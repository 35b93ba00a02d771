"""One row per operation the phone pushed and the server applied: the replay answer."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from patrol.extensions import db


class SyncOperation(db.Model):
    __tablename__ = "sync_operation"
    __table_args__ = (Index("ix_sync_operation_user_applied", "user_id", "applied_at"),)

    op_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    op: Mapped[str] = mapped_column(String(40))
    created: Mapped[bool] = mapped_column(default=True)
    result: Mapped[dict] = mapped_column(JSONB, default=dict)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
