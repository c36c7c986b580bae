"""``/plans``: the tutorial's protected resource. Each user sees only their own plans;
another user's plan is 404, never 403 (its existence is not revealed)."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from authgate.core.errors import NotFound
from authgate.core.models import Plan, Principal
from authgate.web.routes._io import json_response
from authgate.web.schemas import ErrorOut, PlanIn, PlanOut, PlanPatch

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

_MAX_ID = 2**63 - 1


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"id": plan.id, "title": plan.title, "done": plan.done, "created_at": plan.created_at}


def parse_plan_id(raw: str) -> int:
    """A plan id from the path; anything else names no plan (404)."""
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= _MAX_ID:
        raise NotFound("not a plan id")
    return int(raw)


def plans_router(gate: "AuthGate") -> APIRouter:
    router = APIRouter(prefix="/plans", tags=["plans"])
    CurrentPrincipal = Annotated[Principal, Depends(gate.current_user)]
    errors: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorOut} for status in (401, 403, 404, 422)
    }

    @router.get("", response_model=list[PlanOut], responses=errors)
    async def list_plans(principal: CurrentPrincipal) -> Response:
        return json_response([plan_json(p) for p in await gate.plans.list(principal.id)])

    @router.post("", status_code=201, response_model=PlanOut, responses=errors)
    async def add_plan(body: PlanIn, principal: CurrentPrincipal) -> Response:
        now = datetime.fromtimestamp(gate.service.clock(), UTC)
        plan = await gate.plans.add(principal.id, body.title, body.done, now)
        return json_response(plan_json(plan), 201)

    @router.get("/{plan_id}", response_model=PlanOut, responses=errors)
    async def get_plan(plan_id: str, principal: CurrentPrincipal) -> Response:
        plan = await gate.plans.get(principal.id, parse_plan_id(plan_id))
        if plan is None:
            raise NotFound("no such plan")
        return json_response(plan_json(plan))

    @router.patch("/{plan_id}", response_model=PlanOut, responses=errors)
    async def update_plan(plan_id: str, body: PlanPatch, principal: CurrentPrincipal) -> Response:
        plan = await gate.plans.update(principal.id, parse_plan_id(plan_id), body.title, body.done)
        if plan is None:
            raise NotFound("no such plan")
        return json_response(plan_json(plan))

    @router.delete("/{plan_id}", status_code=204, responses=errors)
    async def delete_plan(plan_id: str, principal: CurrentPrincipal) -> Response:
        if not await gate.plans.delete(principal.id, parse_plan_id(plan_id)):
            raise NotFound("no such plan")
        return Response(status_code=204)

    return router
