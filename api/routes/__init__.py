"""HTTP routers, all mounted under /api/v1 except the operational endpoints."""
