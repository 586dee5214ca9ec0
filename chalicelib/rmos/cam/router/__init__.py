"""`router_3axis` planning: design models and the operations that turn them into toolpaths."""
from chalicelib.rmos.cam.router.models import RouterDesign
from chalicelib.rmos.cam.router.plan import plan_router

__all__ = ["RouterDesign", "plan_router"]
