"""Requests and responses of the data-stewardship API: review tasks, merges and splits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.citizen import MergeRecord, Reason, ReviewTask

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class DecideReviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "accept", "actor": "supervisor-07", "reason": "Misma CURP en la credencial"},
                {"decision": "accept", "citizen_id": "cit-3f7a0c2e9b8d4e51a6c0f1d2e3b4a596", "actor": "agente-042"},
            ]
        },
    )

    decision: Literal["accept", "reject"]
    citizen_id: str | None = Field(
        default=None, description="For a shared-identifier review: which candidate the touchpoint belongs to"
    )
    actor: Actor = Field(description="Who decides (operator id), recorded with the decision")
    reason: Reason | None = None


class SplitCitizenRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "merge_id": "mrg-0c1d2e3f405162738495a6b7c8d9e0f1",
                    "reason": "Son gemelos: la CURP de cada uno es distinta",
                    "actor": "supervisor-07",
                }
            ]
        },
    )

    merge_id: str = Field(pattern=r"^mrg-[0-9a-f]{32}$", description="The merge to undo (from /identity)")
    reason: Reason
    actor: Actor


class MergeCitizensRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "citizen_id": "cit-9a8b7c6d5e4f30211f0e9d8c7b6a5948",
                    "reason": "Misma persona: confirmó CURP y fecha de nacimiento por teléfono",
                    "actor": "supervisor-07",
                }
            ]
        },
    )

    citizen_id: str = Field(pattern=r"^cit-[0-9a-f]{32}$", description="The citizen to fold into the one in the path")
    reason: Reason
    actor: Actor


class ReviewListResponse(BaseModel):
    reviews: list[ReviewTask]
    next_cursor: str | None = None


class SplitResponse(BaseModel):
    merge: MergeRecord
    citizen_id: str
    restored_citizen_id: str
