"""Hub-wide system tables."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field

from central.base import HubModel
from sync.sqltypes import UTCDateTime


class HubInfo(HubModel, table=True):
    """One row per hub database: its identity and when it was created."""

    __tablename__ = "hub_info"

    id: int = Field(default=1, primary_key=True)
    hub_id: str = Field(max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
