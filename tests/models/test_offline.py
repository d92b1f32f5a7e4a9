"""A hub name that is not cached, on a machine that cannot reach the hub, with HF_HUB_OFFLINE unset."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from zhner.models.base import BaseModelError, resolve

NAME = "zhner-tests/never-cached-model"


@pytest.fixture
def no_network(monkeypatch) -> SimpleNamespace:
    """Every connection attempt fails with ``net.error``, as on an offline machine; attempts are recorded."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    net = SimpleNamespace(attempts=[], error=OSError(101, "Network is unreachable"))

    def unreachable(address, timeout=None, *args, **kwargs):
        net.attempts.append((address, timeout))
        raise net.error

    monkeypatch.setattr(socket, "create_connection", unreachable)
    return net


@pytest.mark.parametrize(
    "error",
    [
        OSError(101, "Network is unreachable"),
        socket.gaierror(-3, "Temporary failure in name resolution"),
        TimeoutError("timed out"),
    ],
    ids=["unreachable", "no-dns", "timeout"],
)
def test_unreachable_hub_without_offline_flag_fails_in_one_sentence(no_network, error) -> None:
    no_network.error = error
    with pytest.raises(BaseModelError) as err:
        resolve(NAME)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"base model {NAME!r} is not a local directory and not in the Hugging Face cache")
    assert "the hub is unreachable from here" in message and "set model.base to that directory" in message
    (address, timeout), *_ = no_network.attempts  # it did try the hub, with a bounded wait
    assert address == ("huggingface.co", 443) and timeout is not None and timeout <= 10


def test_train_cli_reports_an_unreachable_hub_without_traceback(no_network, root, tmp_path, capsys) -> None:
    from zhner.train.cli import main

    args = ["--config", str(root / "configs/tiny.yaml"), "--output", str(tmp_path / "m"), "--set", f"model.base={NAME}"]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith(f"error: base model {NAME!r} is not a local directory")
    assert "Traceback" not in err and no_network.attempts
    assert not (tmp_path / "m").exists()
