"""Upstream clients, their work orders (one per incident) and the outbox of signed callbacks."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrol.extensions import db

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Client(db.Model):
    """An upstream platform: its hashed API key, encrypted signing secret and the one callback URL."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    secret_enc: Mapped[str] = mapped_column(Text)
    callback_url: Mapped[str | None] = mapped_column(String(500))
    area_code: Mapped[str | None] = mapped_column(String(15))
    minutes_per_order: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UpstreamRequest(db.Model):
    """A work order received from a client; the incident it became has the same id."""

    __tablename__ = "open311_request"
    __table_args__ = (UniqueConstraint("client_id", "upstream_id", name="uq_open311_request_client_upstream"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id", ondelete="RESTRICT"))
    upstream_id: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(40), unique=True)
    service_code: Mapped[str] = mapped_column(String(10))
    upstream_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(500))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    contact_enc: Mapped[str | None] = mapped_column(Text)
    contact_masked: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    client: Mapped[Client] = relationship()


class Delivery(db.Model):
    """One state change to send to a client's callback URL; written in the state change's transaction."""

    __tablename__ = "open311_outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id", ondelete="RESTRICT"))
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incident.id", ondelete="RESTRICT"))
    grid_code: Mapped[str] = mapped_column(String(15))
    payload: Mapped[dict] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    client: Mapped[Client] = relationship()
