"""Serve's status as plain data, read from inside the cluster."""

from __future__ import annotations

from ray import serve


def serve_status() -> dict:
    apps = serve.status().applications
    return {
        "applications": {
            name: {
                "status": _name(app.status),
                "deployments": {
                    dep_name: {
                        "status": _name(dep.status),
                        "replicas": {_name(state): count for state, count in dep.replica_states.items()},
                    }
                    for dep_name, dep in app.deployments.items()
                },
            }
            for name, app in apps.items()
        }
    }


def _name(value) -> str:
    return str(getattr(value, "value", value))
