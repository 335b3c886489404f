"""The scale configuration of `make run` (ops/topology.py): N Rasa replicas, M action servers,
several web workers, all on PostgreSQL + Redis; the default `make run` stays one of each."""

from __future__ import annotations

import pytest
import yaml

from ops import topology
from ops.stack import Stack


def test_scale_commands_give_each_replica_its_port_and_an_action_server(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PG_DATABASE", "avecvous_scale")
    stack = topology.ScaleStack(run_dir=tmp_path, rasa_ports=[6401, 6402, 6403], actions_ports=[6411, 6412],
                                web_port=6420, web_workers=3)
    env = stack.environment()
    cmds = stack.commands(env)
    assert {"rasa-0", "rasa-1", "rasa-2", "actions-0", "actions-1", "web"} <= set(cmds)
    assert env["RASA_URLS"] == "http://127.0.0.1:6401,http://127.0.0.1:6402,http://127.0.0.1:6403"
    assert env["DATABASE_URL"] == "postgresql+psycopg://postgres@127.0.0.1:5432/avecvous_scale"
    ports, actions = [], []
    for i in range(3):
        cmd = cmds[f"rasa-{i}"]
        ports.append(cmd[cmd.index("--port") + 1])
        endpoints = yaml.safe_load(open(cmd[cmd.index("--endpoints") + 1]).read())
        actions.append(endpoints["action_endpoint"]["url"])
        assert endpoints["lock_store"]["type"] == "redis"
        assert endpoints["tracker_store"]["db"] == "avecvous_scale"
    assert ports == ["6401", "6402", "6403"]
    assert actions == ["http://127.0.0.1:6411/webhook", "http://127.0.0.1:6412/webhook", "http://127.0.0.1:6411/webhook"]
    assert [cmds[f"actions-{i}"][-1] for i in range(2)] == ["6411", "6412"]
    assert cmds["web"][-2:] == ["--workers", "3"]


def test_a_tracker_proxy_port_changes_rasa_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    stack = topology.ScaleStack(run_dir=tmp_path, rasa_ports=[6401, 6402], actions_ports=[6411, 6412],
                                tracker_pg_port=6430)
    env = stack.environment()
    assert env["PG_PORT"] == "6430" and ":5432/" in env["DATABASE_URL"]


def test_one_variable_chooses_the_topology(tmp_path, monkeypatch):
    monkeypatch.setenv("AVECVOUS_TOPOLOGY", "scale")
    monkeypatch.setenv("RASA_REPLICAS", "3")
    monkeypatch.setenv("ACTION_SERVERS", "2")
    monkeypatch.setenv("WEB_WORKERS", "4")
    monkeypatch.setenv("RASA_PORT", "6440")
    assert topology.topology() == "scale"
    stack = topology.scale_stack_from_env(tmp_path)
    assert stack.rasa_ports == [6440, 6441, 6442] and len(stack.actions_ports) == 2 and stack.web_workers == 4
    monkeypatch.setenv("RASA_REPLICAS", "1")
    with pytest.raises(ValueError, match="RASA_REPLICAS"):
        topology.scale_stack_from_env(tmp_path)
    monkeypatch.delenv("AVECVOUS_TOPOLOGY")
    assert topology.topology() == "single"


def test_the_default_run_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_STORE", raising=False)
    stack = Stack(run_dir=tmp_path)
    cmds = stack.commands(stack.environment())
    assert {"rasa", "actions", "web"} <= set(cmds) and "--workers" not in cmds["web"]
    assert "RASA_URLS" not in stack.environment()
    assert yaml.safe_load((tmp_path / "endpoints.yml").read_text())["tracker_store"]["dialect"] == "sqlite"
