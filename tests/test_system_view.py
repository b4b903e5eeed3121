"""The demo's System tab as data (muse.system_view): each viewer's window, the tables and the plots' frames."""

from __future__ import annotations

from common.metric_window import MetricsSample
from muse import system_view

STATUS = {
    "applications": {
        "muse": {"status": "RUNNING", "deployments": {"Gateway": {"status": "HEALTHY", "replicas": {"RUNNING": 2}}}}
    }
}


class Muse:
    """Answers the two System routes as Muse does, with the Gateway's request total growing by 10 a second."""

    def __init__(self):
        self.at = 0.0

    def system_status(self) -> dict:
        return STATUS

    def system_metrics(self) -> dict:
        sample = MetricsSample(
            at=self.at,
            counters={"serve_deployment_request_counter_total|Gateway": {"replica=a": 10 * self.at}},
            replicas={"Gateway": 2},
        )
        return {"window_s": 0, "deployments": {}, "muse": {}, "sample": sample.model_dump()}


def test_each_viewer_reads_rates_over_its_own_window_and_gets_plot_frames():
    muse, first, second = Muse(), system_view.new_window(), system_view.new_window()
    _, rows, caption, _, _ = system_view.refresh(muse, first)
    assert caption.startswith("Request rates: collecting") and rows[0][2] is None
    for at in (10.0, 20.0, 30.0):  # the second viewer refreshes often, the first not at all
        muse.at = at
        system_view.refresh(muse, second)
    muse.at = 60.0
    replicas, rows, caption, replicas_frame, rates_frame = system_view.refresh(muse, first)
    assert replicas == [["muse", "Gateway", "HEALTHY", "RUNNING: 2"]]
    assert "over the last 60.0 s" in caption
    assert rows == [["Gateway", 2, 10.0, 0.0, None, None, 600.0]]  # no latency observed: no quantiles
    assert list(replicas_frame["replicas"]) == [2, 2] and list(rates_frame["requests/s"]) == [10.0]
    assert [s.at for s in second.samples] == [10.0, 20.0, 30.0]  # the first viewer's reading is not in it
