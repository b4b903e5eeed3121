from pathlib import Path

import pytest
from ray.serve.schema import ServeDeploySchema

import yaml

from core.paths import REPO_ROOT, SERVE_CONFIG
from muse.serve_config import load_config, merge


def deployment(config: dict, name: str) -> dict:
    return next(d for d in config["applications"][0]["deployments"] if d["name"] == name)


def deployment_in(config: dict, name: str) -> dict:
    """A deployment of any application."""
    return next(d for app in config["applications"] for d in app["deployments"] if d["name"] == name)


def test_config_is_a_valid_serve_config_with_scale_to_zero():
    config = load_config(SERVE_CONFIG)
    ServeDeploySchema.model_validate(config)
    generator = deployment(config, "Generator")
    assert generator["autoscaling_config"]["min_replicas"] == 0
    assert 0 < generator["ray_actor_options"]["num_cpus"] < 1


def test_gpu_profile_only_changes_resources():
    base, gpu = load_config(SERVE_CONFIG), load_config(SERVE_CONFIG, ["gpu"])
    ServeDeploySchema.model_validate(gpu)
    assert deployment(gpu, "Generator")["ray_actor_options"]["num_gpus"] == 1
    assert deployment(gpu, "Generator")["autoscaling_config"]["min_replicas"] == 0
    assert deployment(gpu, "Gateway") == deployment(base, "Gateway")
    assert gpu["applications"][0]["import_path"] == base["applications"][0]["import_path"]


def test_merge_lists_by_name_and_port_override():
    merged = merge({"a": [{"name": "x", "v": 1, "w": 2}]}, {"a": [{"name": "x", "v": 3}, {"name": "y"}]})
    assert merged == {"a": [{"name": "x", "v": 3, "w": 2}, {"name": "y"}]}
    assert load_config(SERVE_CONFIG, port=9001)["http_options"]["port"] == 9001


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="known: container, gpu, planner-model"):
        load_config(SERVE_CONFIG, ["nope"])


def test_profile_can_be_a_path(tmp_path: Path):
    overlay = tmp_path / "p.yaml"
    overlay.write_text("applications:\n  - name: muse\n    args:\n      model_name: other\n")
    assert load_config(SERVE_CONFIG, [str(overlay)])["applications"][0]["args"]["model_name"] == "other"


def kuberay_manifest() -> dict[str, dict]:
    """The manifest's objects by kind (a RayService and its NetworkPolicy)."""
    documents = yaml.safe_load_all((REPO_ROOT / "deploy" / "kuberay" / "rayservice.yaml").read_text())
    return {document["kind"]: document for document in documents}


def test_kuberay_manifest_serves_the_same_applications_with_a_gpu_generator():
    manifest = kuberay_manifest()["RayService"]
    serve = yaml.safe_load(manifest["spec"]["serveConfigV2"])
    ServeDeploySchema.model_validate(serve)
    base = load_config(SERVE_CONFIG)

    def shape(config: dict) -> dict:
        return {
            app["name"]: (app["import_path"], app["route_prefix"], sorted(d["name"] for d in app["deployments"]))
            for app in config["applications"]
        }

    assert shape(serve) == shape(base)
    generator = deployment(serve, "Generator")
    assert generator["ray_actor_options"]["num_gpus"] == 1 and generator["autoscaling_config"]["min_replicas"] == 0
    assert serve["applications"][0]["args"]["dtype"] == "bfloat16"
    assert set(serve["applications"][0]["args"]) <= set(base["applications"][0]["args"]) | {"device", "dtype"}
    for app in base["applications"]:  # backpressure as benchmarked
        for each in app["deployments"]:
            assert deployment_in(serve, each["name"]).get("backpressure_config") == each.get("backpressure_config")
    head = manifest["spec"]["rayClusterConfig"]["headGroupSpec"]
    assert head["rayStartParams"]["metrics-export-port"] == "8080"
    env = {v["name"]: v["value"] for v in head["template"]["spec"]["containers"][0]["env"]}
    from muse.server import SERVE_THROUGHPUT_MODE

    assert env == SERVE_THROUGHPUT_MODE


def test_kuberay_manifest_keeps_the_dashboard_to_the_operator_and_behind_a_token():
    """The dashboard and its Jobs API run code: only the operator reaches them, with a token; the outside
    reaches Serve and metrics alone."""
    objects = kuberay_manifest()
    assert set(objects) == {"RayService", "NetworkPolicy"}  # no Service, Ingress or LoadBalancer of its own
    cluster = objects["RayService"]["spec"]["rayClusterConfig"]
    assert cluster["authOptions"] == {"mode": "token"}
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    assert all(g["template"]["metadata"]["labels"] == {"muse.io/ray": "true"} for g in groups)

    policy = objects["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"muse.io/ray": "true"} and policy["policyTypes"] == ["Ingress"]
    open_to_all = [rule for rule in policy["ingress"] if "from" not in rule]
    assert {p["port"] for rule in open_to_all for p in rule["ports"]} == {8000, 8080}
    for rule in policy["ingress"]:
        ports = {p["port"] for p in rule.get("ports", [])}
        sources = [source["podSelector"]["matchLabels"] for source in rule.get("from", [])]
        if 8265 in ports or not ports:  # the dashboard, or every port: Muse's Ray pods or the operator only
            assert sources in ([{"muse.io/ray": "true"}], [{"app.kubernetes.io/name": "kuberay-operator"}])


def test_replicas_reach_muse_at_its_own_configured_address(monkeypatch):
    from muse.server import internal_url

    monkeypatch.delenv("MUSE_INTERNAL_URL", raising=False)
    assert internal_url(load_config(SERVE_CONFIG, port=9001)["http_options"]) == "http://127.0.0.1:9001"
    assert internal_url({"host": "0.0.0.0", "port": 8100}) == "http://127.0.0.1:8100"  # all interfaces: loopback
    assert internal_url({"host": "::1", "port": 8100}) == "http://[::1]:8100"
    monkeypatch.setenv("MUSE_INTERNAL_URL", "http://muse-head:8000")
    assert internal_url({"host": "0.0.0.0", "port": 8100}) == "http://muse-head:8000"


def test_container_profile_listens_on_all_interfaces_and_changes_nothing_else():
    base, container = load_config(SERVE_CONFIG), load_config(SERVE_CONFIG, ["container"])
    ServeDeploySchema.model_validate(container)
    assert container["http_options"]["host"] == "0.0.0.0"
    assert {**container, "http_options": base["http_options"]} == base


def test_dockerfile_builds_from_the_wheel_in_two_stages_and_runs_as_a_user():
    lines = [
        line.split()
        for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    stages = [words for words in lines if words[0] == "FROM"]
    assert len(stages) == 2 and stages[0][-1] == "build"
    runtime = lines[lines.index(stages[1]) :]
    assert any(w[0] == "COPY" and "--from=build" in w for w in runtime)
    assert not any(w[0] == "COPY" and "--from=build" not in w for w in runtime)  # no sources in the image
    user = next(w for w in runtime if w[0] == "USER")
    assert user[1] not in ("root", "0") and runtime.index(user) < runtime.index(
        next(w for w in runtime if w[0] == "CMD")
    )
    command = next(w for w in runtime if w[0] == "CMD")
    assert '"container",' in command  # the profile it names exists (loaded above)
